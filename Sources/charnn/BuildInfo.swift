// The commit this binary was built from, for `charnn --version`. `make` writes the git-ignored
// BuildInfo+Commit.swift with the real one and tells Package.swift to compile it instead of this.

#if !CHARNN_BUILD_INFO
let buildCommit = "unknown"
#endif
