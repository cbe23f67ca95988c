using System.Text.Json.Nodes;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;

namespace Subclone.Tests.Moe;

/// <summary>The paper's experiment on a mixture-of-experts parent: expert-cut children trained on the same batches.</summary>
public class MoeCompareTests
{
    static JsonObject TinyMixtral() => new()
    {
        ["model_type"] = "mixtral", ["architectures"] = new JsonArray("MixtralForCausalLM"),
        ["vocab_size"] = 512, ["hidden_size"] = 32, ["intermediate_size"] = 48, ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2, ["num_local_experts"] = 4, ["num_experts_per_tok"] = 2,
        ["max_position_embeddings"] = 64, ["rope_theta"] = 1e6, ["tie_word_embeddings"] = false,
    };

    [SharedFact]
    public void Compare_trains_subclone_uniform_and_random_children_of_a_mixtral_parent()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["cfg"]);
        File.WriteAllText(dir["cfg/config.json"], TinyMixtral().ToJsonString());
        var init = CliRunner.Run("init", "--config", dir["cfg/config.json"], "--out", dir["parent"], "--seed", "3");
        Assert.True(init.ExitCode == 0, init.Error);

        var result = CliRunner.Run("compare", dir["parent"], "--tokenizer", SharedData.Data("stories260K/tok512.model"),
            "--data", SharedData.Data("tinystories/tinystories_valid_prefix.txt"), "--out", dir["cmp"], "--cache", dir["cache"],
            "--experts", "2", "--top-k", "1", "--hidden", "16", "--heads", "2", "--kv-heads", "1", "--expert-ffn", "24", "--layers", "1",
            "--inits", "subclone,uniform,random", "--steps", "4", "--batch", "2", "--seq", "16", "--eval-every", "2", "--eval-batches", "1", "--json");
        Assert.True(result.ExitCode == 0, result.Error);

        var inits = JsonNode.Parse(result.Out)!["inits"]!.AsObject();
        Assert.Equal(["subclone", "uniform", "random"], inits.Select(kv => kv.Key));
        Assert.All(inits, kv => Assert.True(double.IsFinite((double)kv.Value!["final_loss"]!["mean"]!)));
        Assert.All(inits, kv => Assert.Equal((long)inits["random"]!["params"]!, (long)kv.Value!["params"]!));
        var child = JsonNode.Parse(File.ReadAllText(dir["cmp/subclone/config.json"]))!;
        Assert.Equal((2, 1, 24), ((int)child["num_local_experts"]!, (int)child["num_experts_per_tok"]!, (int)child["intermediate_size"]!));
    }
}
