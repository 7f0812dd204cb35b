// The tool's version, shown by `charnn --version` and recorded in every checkpoint.

public enum CharRNNVersion {
    public static let string = "0.1.0"
}
