using Subclone.Checkpoints;
using Subclone.Data.Tokenizers;

namespace Subclone.Tests.Data;

public class BertWordPieceTokenizerTests
{
    private static readonly Lazy<BertWordPieceTokenizer> MiniLm = new(() =>
    {
        using var vocab = MiniLmResources.OpenVocab();
        return BertWordPieceTokenizer.Load(vocab);
    });

    [Fact]
    public void Frames_with_CLS_and_SEP_using_bert_base_uncased_ids()
    {
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], MiniLm.Value.EncodeForModel("Hello, world!", 128));
    }

    // Expected ids from a port of HF BertTokenizer's BasicTokenizer + WordpieceTokenizer run in Python on this vocab.
    [Theory]
    [InlineData("Héllo naïve café déjà vu", new[] { 7592, 15743, 7668, 2139, 3900, 24728 })]
    [InlineData("☃ snowman ☃ 中文", new[] { 100, 4586, 2386, 100, 1746, 1861 })]
    [InlineData("$5 + 3 = 8 ^_^ `x` ~ | <a>",
        new[] { 1002, 1019, 1009, 1017, 1027, 1022, 1034, 1035, 1034, 1036, 1060, 1036, 1066, 1064, 1026, 1037, 1028 })]
    [InlineData("unaffable xyzzyqwv", new[] { 14477, 20961, 3468, 1060, 2100, 28753, 4160, 2860, 2615 })]
    [InlineData("KÖNIGSBERG Ærø", new[] { 12849, 25518, 11711, 1097, 2099, 16415 })]
    [InlineData("한국어 Ελληνικά ﬁne",
        new[] { 1469, 30006, 30021, 29991, 30014, 30020, 29999, 30008, 1159, 29727, 29727, 24824, 16177, 18199, 29726, 14608, 1984, 2638 })]
    [InlineData("tab\there\u00a0nbsp\u200bzw don't U.S.A. 🙂",
        new[] { 21628, 2182, 1050, 5910, 2361, 2480, 2860, 2123, 1005, 1056, 1057, 1012, 1055, 1012, 1037, 1012, 100 })]
    public void Matches_HF_BasicTokenizer_and_WordPiece(string text, int[] expected)
    {
        Assert.Equal(expected, MiniLm.Value.Encode(text));
    }

    [Fact]
    public void Words_over_100_characters_are_unknown()
    {
        var tokenizer = MiniLm.Value;

        Assert.Equal([tokenizer.UnknownId], tokenizer.Encode(new string('a', 101)));
        Assert.NotEqual([tokenizer.UnknownId], tokenizer.Encode(new string('a', 100)));
    }

    [Fact]
    public void Truncates_to_the_model_length_keeping_SEP()
    {
        Assert.Equal([101, 7592, 1010, 102], MiniLm.Value.EncodeForModel("Hello, world!", 4));
        Assert.Equal([101, 102], MiniLm.Value.EncodeForModel("", 8));
    }

    [Fact]
    public void Decodes_by_joining_continuations()
    {
        var tokenizer = MiniLm.Value;

        Assert.Equal("hello, world!", tokenizer.Decode(tokenizer.Encode("Hello, world!")));
        Assert.Equal("unaffable", tokenizer.Decode(tokenizer.Encode("unaffable")));
    }

    [Fact]
    public void Vocabulary_and_specials()
    {
        var tokenizer = MiniLm.Value;

        Assert.Equal(30522, tokenizer.VocabSize);
        Assert.Equal((100, 101, 102, 0), (tokenizer.UnknownId, tokenizer.ClsId, tokenizer.SepId, tokenizer.PadId));
        Assert.Null(tokenizer.BosId);
    }

    [Fact]
    public void Loader_picks_vocab_txt_and_honours_do_lower_case()
    {
        string dir = Directory.CreateTempSubdirectory("subclone-bert").FullName;
        try
        {
            using (var vocab = MiniLmResources.OpenVocab())
            using (var file = File.Create(Path.Combine(dir, "vocab.txt")))
                vocab.CopyTo(file);
            Assert.Equal([7592], TokenizerLoader.FromModelDirectory(dir)!.Encode("Hello"));

            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{ "do_lower_case": false }""");
            // Cased lookup of "Hello" in an uncased vocabulary: "H" is not a piece, so the word is unknown.
            Assert.Equal([100], TokenizerLoader.FromModelDirectory(dir)!.Encode("Hello"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
