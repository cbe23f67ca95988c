using System.Text.Json.Nodes;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;

namespace Subclone.Tests.Moe;

/// <summary>Sizing MoE parents and children from their config.json alone.</summary>
public class MoeInfoTests
{
    [SharedTheory]
    [InlineData("Qwen--Qwen3-30B-A3B.json", "qwen3_moe", 30_532_122_624L, 128, 8, 48)]
    [InlineData("mistralai--Mixtral-8x7B-v0.1.json", "mixtral", 46_702_792_704L, 8, 2, 32)]
    public void Info_on_a_bare_config_gives_the_published_parameter_count(string file, string modelType, long published, int experts, int topK, int sparse)
    {
        var result = CliRunner.Run("info", Path.Combine(SharedData.Root, "configs", file), "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        var info = JsonNode.Parse(result.Out)!;
        Assert.Equal(modelType, (string?)info["model_type"]);
        Assert.Equal(published, (long)info["params"]!);
        Assert.Equal((experts, topK, sparse), ((int)info["experts"]!, (int)info["top_k"]!, (int)info["sparse_layers"]!));
        Assert.True((long)info["active_params"]! < published / 3, "a token uses a fraction of the experts");
    }

    [SharedTheory]
    // Half the experts: 32 blocks lose 4 experts (3 × 4096 × 14336 each) and 4 router rows of 4096.
    [InlineData("4", "mixtral", 4, 24_153_690_112L)]
    // One expert, written as Mistral: exactly Mistral-7B's 7,241,732,096 parameters.
    [InlineData("1", "mistral", null, 7_241_732_096L)]
    public void A_dry_run_sizes_an_expert_cut_child_of_mixtral(string experts, string childType, int? childExperts, long childParams)
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("clone", Path.Combine(SharedData.Root, "configs", "mistralai--Mixtral-8x7B-v0.1.json"), "--out", dir["child"],
            "--dry-run", "--experts", experts, "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        var child = JsonNode.Parse(result.Out)!["child"]!;
        Assert.Equal(childType, (string?)child["model_type"]);
        Assert.Equal(childExperts, (int?)child["experts"]);
        Assert.Equal(childParams, (long)child["params"]!);
        Assert.False(Directory.Exists(dir["child"]));
    }
}
