using System.Text.Json.Nodes;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;

namespace Subclone.Tests.Models.Families;

/// <summary>The shape fields of real Hub configs give their published parameter counts, without weights.</summary>
public class PublishedParameterCountTests
{
    /// <summary>EleutherAI/pythia-70m: 70,426,624 parameters (the Pythia paper's table, embed_out included).</summary>
    static JsonObject Pythia70m() => new()
    {
        ["architectures"] = new JsonArray("GPTNeoXForCausalLM"), ["model_type"] = "gpt_neox", ["hidden_size"] = 512,
        ["num_hidden_layers"] = 6, ["num_attention_heads"] = 8, ["intermediate_size"] = 2048, ["vocab_size"] = 50304,
        ["max_position_embeddings"] = 2048, ["rotary_pct"] = 0.25, ["rotary_emb_base"] = 10000, ["hidden_act"] = "gelu",
        ["layer_norm_eps"] = 1e-5, ["use_parallel_residual"] = true, ["tie_word_embeddings"] = false,
    };

    /// <summary>microsoft/Phi-3-mini-4k-instruct: 3,821,079,552 parameters.</summary>
    static JsonObject Phi3Mini4k() => new()
    {
        ["architectures"] = new JsonArray("Phi3ForCausalLM"), ["model_type"] = "phi3", ["hidden_size"] = 3072,
        ["num_hidden_layers"] = 32, ["num_attention_heads"] = 32, ["num_key_value_heads"] = 32, ["intermediate_size"] = 8192,
        ["vocab_size"] = 32064, ["max_position_embeddings"] = 4096, ["original_max_position_embeddings"] = 4096,
        ["rms_norm_eps"] = 1e-5, ["rope_scaling"] = null, ["rope_theta"] = 10000.0, ["sliding_window"] = 2047,
        ["hidden_act"] = "silu", ["tie_word_embeddings"] = false,
    };

    [Theory]
    [InlineData("pythia-70m", 70_426_624L)]
    [InlineData("phi-3-mini-4k", 3_821_079_552L)]
    public void Info_on_a_bare_config_gives_the_published_count(string model, long published)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["config.json"], (model == "pythia-70m" ? Pythia70m() : Phi3Mini4k()).ToJsonString());
        var info = CliRunner.Run("info", dir["config.json"], "--json");
        Assert.True(info.ExitCode == 0, info.Error);
        Assert.Equal(published, (long)JsonNode.Parse(info.Out)!["params"]!);
    }
}
