// libFuzzer target for the checkpoint loader: any byte string must either load as a checkpoint or
// be refused with an error, never trap, overrun or exhaust memory. A file that loads must also
// give a usable model (one sampled step). Built by `make fuzz` together with the library sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafeTensors.parse(bytes), let checkpoint = try? Checkpoint(file) else { return 0 }
    // A loaded model is small here (its tensors were all in the input), so sampling from it is cheap.
    var options = SamplingOptions()
    options.length = 2
    try? Sampler(model: checkpoint.model, vocabulary: checkpoint.vocabulary).generate(options) { _ in }
    return 0
}
