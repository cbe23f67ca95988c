using Subclone.Data.Tokenizers;

namespace Subclone.Tests.Data;

public class AccentStripperTests
{
    [Theory]
    [InlineData("Crème Brûlée", "Creme Brulee")]
    [InlineData("e\u0301", "e")] // an already decomposed accent is a nonspacing mark too
    [InlineData("Ǻ ḗ", "A e")] // two marks each
    [InlineData("Ǆ ﬁ", "Ǆ ﬁ")] // compatibility-only decompositions (NFKD) are not NFD: unchanged
    [InlineData("한", "\u1112\u1161\u11AB")] // Hangul syllable to its jamo
    [InlineData("ø ß 日本", "ø ß 日本")] // no decomposition at all
    public void Decomposes_and_drops_marks(string text, string expected)
    {
        Assert.Equal(expected, AccentStripper.Strip(text));
    }
}
