using System.Text.Json;
using Subclone.Fuzz;
using Subclone.Tests.Support;

namespace Subclone.Tests.Cli;

/// <summary>subclone tokenize on a model directory and on a tokenizer.json file.</summary>
public class TokenizeCommandTests
{
    const string Llama2Config = """{"add_bos_token": true, "add_eos_token": true, "bos_token": "<s>", "eos_token": "</s>", "tokenizer_class": "LlamaTokenizer"}""";

    [Fact]
    public void Prints_ids_and_tokens_with_the_special_tokens_unless_told_not_to()
    {
        using var dir = new TempDir();
        TokenizerJsonFiles.Write(dir, TokenizerJsonSeeds.SentencePieceStyle(), Llama2Config);

        var plain = CliRunner.Run("tokenize", dir.Path, "--text", "the cat\né");
        Assert.Equal(0, plain.ExitCode);
        // BOS and EOS from tokenizer_config.json; the newline (no token of its own here) falls back to its byte.
        Assert.Equal(["1\t<s>", "303\t▁the", "306\t▁cat", "16\t<0x0A>", "201\t<0xC3>", "175\t<0xA9>", "2\t</s>"], plain.Out.TrimEnd('\n').Split('\n'));

        var json = CliRunner.Run("tokenize", dir["tokenizer.json"], "--text", "the cat", "--no-special", "--json");
        Assert.Equal(0, json.ExitCode);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal([303, 306], document.RootElement.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal(["▁the", "▁cat"], document.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public void An_unsupported_tokenizer_json_is_refused_with_exit_2_naming_the_file_and_part()
    {
        using var dir = new TempDir();
        var tokenizer = TokenizerJsonSeeds.ByteLevelRegex();
        tokenizer["pre_tokenizer"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "UnicodeScripts" };
        string path = TokenizerJsonFiles.Write(dir, tokenizer);

        var result = CliRunner.Run("tokenize", path, "--text", "hello");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Equal($"subclone: error: {path}: pre_tokenizer: pre-tokenizer type \"UnicodeScripts\" is not supported\n", result.Error.Replace("\r", ""));
    }

    [RealTokenizerFact]
    public void Reproduces_hugging_face_on_a_real_file()
    {
        var expected = RealTokenizers.Cases("gemma3").First(c => c.AddSpecialTokens && c.Text.Contains('\t'));
        var result = CliRunner.Run("tokenize", RealTokenizers.Directory("gemma3"), "--text", expected.Text, "--json");
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Out);
        Assert.Equal(expected.Ids, document.RootElement.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
    }
}
