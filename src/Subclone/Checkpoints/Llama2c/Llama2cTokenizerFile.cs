using Subclone.Data.Tokenizers;

namespace Subclone.Checkpoints.Llama2c;

/// <summary>
/// The tokenizer an imported llama2.c model carries as <c>tokenizer.model</c>: a SentencePiece model, checked by
/// loading it, so a file is never stored under the name of a format it is not (every later command on the
/// directory would fail on it). llama2.c's binary <c>tok*.bin</c> holds only pieces and scores, not the
/// normaliser and trainer settings a SentencePiece model needs, so it is refused with the file to give instead.
/// </summary>
public static class Llama2cTokenizerFile
{
    /// <summary>The name the tokenizer is stored under in the Hugging Face directory (LlamaTokenizer's).</summary>
    public const string StoredName = "tokenizer.model";

    /// <summary>
    /// The SentencePiece model to store for the checkpoint at <paramref name="checkpointPath"/>: <paramref name="given"/>
    /// (--tokenizer), else a <c>tok*.model</c> beside the checkpoint, else null. Refuses anything that is not a
    /// SentencePiece model whose ids fit <paramref name="vocab"/>.
    /// </summary>
    public static string? Choose(string checkpointPath, string? given, int vocab)
    {
        if (given is null)
        {
            string dir = Path.GetDirectoryName(Path.GetFullPath(checkpointPath))!;
            string? beside = Directory.GetFiles(dir, "tok*.model").Order(StringComparer.Ordinal).FirstOrDefault();
            return beside is null ? null : Check(beside, vocab, "--tokenizer");
        }
        if (Directory.Exists(given)) throw new UserInputException($"--tokenizer {given} is a directory; give a SentencePiece .model file");
        if (!File.Exists(given)) throw new UserInputException($"--tokenizer {given}: no such file");
        if (IsLlama2cBinary(given, vocab))
        {
            string model = Path.ChangeExtension(given, ".model");
            throw new UserInputException($"--tokenizer {given} is llama2.c's binary tokenizer, which Hugging Face cannot read; give the SentencePiece "
                + $".model it was exported from{(File.Exists(model) ? $" ({model})" : "")}");
        }
        return Check(given, vocab, "--tokenizer");
    }

    static string Check(string path, int vocab, string option)
    {
        SentencePieceTextTokenizer tokenizer;
        try { tokenizer = SentencePieceTextTokenizer.Load(path); }
        catch (Exception e) when (e is InvalidDataException or UserInputException or CheckpointException)
        {
            throw new UserInputException($"{option} {path} is not a SentencePiece model (a llama2.c model is imported with its tok*.model)");
        }
        if (tokenizer.VocabSize > vocab)
            throw new UserInputException($"{option} {path} has {tokenizer.VocabSize} pieces, more than the model's vocab_size {vocab}");
        return path;
    }

    static bool IsLlama2cBinary(string path, int vocab)
    {
        try { Llama2cTokenizer.Load(path, vocab); return true; }
        catch (InvalidDataException) { return false; }
    }
}
