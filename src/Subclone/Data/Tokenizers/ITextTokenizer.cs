namespace Subclone.Data.Tokenizers;

/// <summary>Text ⇄ token ids, the minimum the cloning, calibration and generation code needs from any tokenizer.</summary>
public interface ITextTokenizer
{
    /// <summary>Number of ids the tokenizer can emit (max id + 1), to check against a model's embedding size.</summary>
    int VocabSize { get; }
    /// <summary>Id that starts a document, or null when the tokenizer has none.</summary>
    int? BosId { get; }
    /// <summary>Id that ends a document (and separates documents in token streams), or null when the tokenizer has none.</summary>
    int? EosId { get; }

    /// <summary>Ids of <paramref name="text"/> without BOS/EOS/CLS/SEP added, so that callers decide the framing.</summary>
    IReadOnlyList<int> Encode(string text);
    /// <summary>The text of <paramref name="ids"/>.</summary>
    string Decode(IEnumerable<int> ids);
}
