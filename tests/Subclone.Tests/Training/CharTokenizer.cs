using Subclone.Data.Tokenizers;

namespace Subclone.Tests.Training;

/// <summary>A stand-in tokenizer: one id per character (its code point folded into 200 ids, starting at
/// <paramref name="offset"/>), EOS the last id. A large offset forces ids that need 32 bits.</summary>
internal sealed class CharTokenizer(int offset = 0) : ITextTokenizer
{
    public int VocabSize => offset + 201;
    public int? BosId => null;
    public int? EosId => offset + 200;

    public IReadOnlyList<int> Encode(string text) => text.Select(c => offset + c % 200).ToList();

    public string Decode(IEnumerable<int> ids) => new(ids.Where(i => i != EosId).Select(i => (char)(i - offset)).ToArray());
}
