namespace Subclone.Data.Tokenizers;

public interface ITextTokenizer
{
    int VocabSize { get; }
    int? BosId { get; }
    int? EosId { get; }
    IReadOnlyList<int> Encode(string text);
    string Decode(IEnumerable<int> ids);
}
