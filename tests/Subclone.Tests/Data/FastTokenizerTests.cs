using System.Security.Cryptography;
using Subclone.Data.Tokenizers;
using Subclone.Tests.Support;

namespace Subclone.Tests.Data;

/// <summary>The tokenizer.json reader against Hugging Face's own encodings of the real Llama 2, Llama 3, Qwen3 and
/// Gemma 3 files (../shared/fixtures/tokenizers/expected.json).</summary>
public class FastTokenizerTests
{
    [RealTokenizerTheory]
    [MemberData(nameof(RealTokenizers.AllCases), MemberType = typeof(RealTokenizers))]
    public void Encodes_exactly_as_hugging_face(string name, int index)
    {
        var tokenizer = RealTokenizers.Load(name);
        var expected = RealTokenizers.Cases(name)[index];

        int[] ids = tokenizer.Encode(expected.Text, expected.AddSpecialTokens);

        Assert.Equal(expected.Ids, ids);
        Assert.Equal(expected.Tokens, tokenizer.Tokens(ids));
        if (!expected.AddSpecialTokens) Assert.Equal(expected.Ids, tokenizer.Encode(expected.Text));
    }

    [RealTokenizerTheory]
    [InlineData("llama2")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    public void The_installed_file_is_the_one_expected_json_was_made_from(string name)
    {
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(RealTokenizers.File(name))));
        Assert.Equal(RealTokenizers.Entry(name).GetProperty("sha256").GetString(), sha);
    }
}
