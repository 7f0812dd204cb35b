// Library messages name settings (CharRNN's Setting); the command line says them with the names of
// the options that set them.

import CharRNN

extension Setting {
    var option: String {
        switch self {
        case .learningRate: return Options.learningRate.spec.name
        case .clipNorm: return Options.clipNorm.spec.name
        case .pattern: return Options.Inspect.pattern.spec.name
        case .patternMode: return Options.Inspect.patternMode.spec.name
        case .output: return Options.trainOutput.spec.name
        case .metrics: return Options.metrics.spec.name
        case .resume: return Options.resume.spec.name
        case .force: return Options.force.spec.name
        case .precision: return Options.precision.spec.name
        case .batchSize: return Options.batchSize.spec.name
        case .seqLength: return Options.seqLength.spec.name
        }
    }
}
