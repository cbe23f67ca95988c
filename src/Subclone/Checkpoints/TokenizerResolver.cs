using Subclone.Data.Tokenizers;
using Subclone.Models;

namespace Subclone.Checkpoints;

/// <summary>Finds the tokenizer train and eval read text with: named by --tokenizer, or the model's own.</summary>
public static class TokenizerResolver
{
    /// <summary>
    /// A tokenizer from <paramref name="path"/>: a directory with tokenizer files, a llama2.c checkpoint (the
    /// tok*.bin beside it), a llama2.c tokenizer file, a SentencePiece .model, a tokenizer.json (any name ending in
    /// .json other than vocab.json and config.json), or a vocab.json with merges.txt.
    /// </summary>
    public static ITextTokenizer Load(string path, int modelVocab)
    {
        if (Directory.Exists(path))
            return TokenizerLoader.FromModelDirectory(path) ?? throw new UserInputException($"{path} has no tokenizer files (tokenizer.json, vocab.json + merges.txt, vocab.txt, tokenizer.model, tok*.bin)");
        if (!File.Exists(path)) throw new UserInputException($"--tokenizer {path}: no such file or directory");
        string name = Path.GetFileName(path);
        if (name.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return TokenizerLoader.FromLlama2cCheckpoint(path) ?? throw new UserInputException($"{path} is a llama2.c checkpoint with no tok*.bin beside it");
            }
            catch (InvalidDataException)
            {
                // Not a checkpoint: a llama2.c tokenizer file, which does not store its size.
                return Llama2cTokenizer.Load(path, modelVocab);
            }
        }
        if (name.EndsWith(".model", StringComparison.OrdinalIgnoreCase)) return SentencePieceTextTokenizer.Load(path);
        if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && name is not ("vocab.json" or "config.json"))
            return FastTokenizer.Load(path);
        if (name is "vocab.json" or "merges.txt" or "config.json" or "vocab.txt")
            return Load(Path.GetDirectoryName(Path.GetFullPath(path))!, modelVocab);
        throw new UserInputException($"--tokenizer {path}: expected a directory, a llama2.c .bin, a SentencePiece .model, a tokenizer.json or vocab.json");
    }

    /// <summary>
    /// The directory whose tokenizer files (<see cref="HfCheckpoint.CompanionFiles"/>) travel with a
    /// model made with --tokenizer <paramref name="path"/>: the directory itself, or the one holding a file named
    /// tokenizer.json (so its tokenizer_config.json comes along); null for other files.
    /// </summary>
    public static string? CompanionDirectory(string path) =>
        Directory.Exists(path) ? path
        : Path.GetFileName(path) == FastTokenizer.FileName && File.Exists(path) ? Path.GetDirectoryName(Path.GetFullPath(path))
        : null;

    /// <summary>Refuses a tokenizer whose ids would index past the model's embedding table.</summary>
    public static ITextTokenizer CheckFits(ITextTokenizer tokenizer, ModelConfig config, string origin)
    {
        if (tokenizer.VocabSize > config.Vocab)
            throw new UserInputException($"the tokenizer of {origin} ({tokenizer.GetType().Name}, {tokenizer.VocabSize} ids) does not fit the model's vocab_size {config.Vocab}; pass --tokenizer");
        return tokenizer;
    }
}
