namespace Subclone.Data.Tokenizers;

/// <summary>Text ⇄ token ids, the minimum the cloning, calibration and generation code needs from any tokenizer.</summary>
public interface ITextTokenizer
{
    /// <summary>Number of ids the tokenizer can emit (max id + 1), to check against a model's embedding size.</summary>
    int VocabSize { get; }
    int? BosId { get; }
    int? EosId { get; }

    /// <summary>Ids of <paramref name="text"/> without BOS/EOS/CLS/SEP added, so that callers decide the framing.</summary>
    IReadOnlyList<int> Encode(string text);
    string Decode(IEnumerable<int> ids);
}
