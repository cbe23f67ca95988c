using System.Text.Json.Nodes;
using Subclone.Tests.Cli;
using Subclone.Tests.Cli.Defects;
using Subclone.Tests.Support;

namespace Subclone.Tests.Cloning;

/// <summary>
/// Issue 11, items 5, 13 and 17: a clone_map.json replayed with --map is checked as a whole before any work: malformed
/// lists are one line naming the field (not a NullReferenceException), and a map made from another parent (architecture,
/// shape), another target or another format is refused naming the field; other weights of the same shape get a warning.
/// </summary>
public class CloneMapFileTests
{
    /// <summary>A real clone_map.json: gpt2-tiny (or <paramref name="parent"/>) cut to half width, first-k.</summary>
    static JsonObject MakeMap(TempDir dir, string parent = "gpt2-tiny")
    {
        var made = CliRunner.Run("clone", SharedData.Fixture(parent), "--out", dir["made"], "--ratio", "0.5", "--select", "first");
        Assert.True(made.ExitCode == 0, made.Error);
        return JsonNode.Parse(File.ReadAllText(dir["made/clone_map.json"]))!.AsObject();
    }

    static void AssertReplayRefused(TempDir dir, string content, params string[] mentions)
    {
        File.WriteAllText(dir["edited.json"], content);
        Refusal.Assert(["clone", SharedData.Fixture("gpt2-tiny"), "--out", dir["replay"], "--map", dir["edited.json"]], [dir["edited.json"], .. mentions]);
        Assert.False(Directory.Exists(dir["replay"]));
    }

    [SharedTheory]
    [InlineData("[]", "a JSON object")]
    [InlineData("{\"map\": []}", "map")]
    [InlineData("null", "a JSON object")]
    public void Item5_a_map_that_is_not_an_object_is_refused(string content, string mention)
    {
        using var dir = new TempDir();
        AssertReplayRefused(dir, content, mention);
    }

    [SharedTheory]
    [InlineData("heads")]
    [InlineData("kv_heads")]
    [InlineData("ffn_neurons")]
    [InlineData("residual_dims")]
    [InlineData("layer_map")]
    public void Item5_a_null_list_is_refused_naming_it(string field)
    {
        using var dir = new TempDir();
        var report = MakeMap(dir);
        report["map"]![field] = null;
        AssertReplayRefused(dir, report.ToJsonString(), $"map.{field}");
        report["map"]![field] = new JsonArray(1, null);
        AssertReplayRefused(dir, report.ToJsonString(), $"map.{field}");
    }

    [SharedFact]
    public void Item13_a_map_of_another_shape_or_target_or_format_is_refused_naming_the_field()
    {
        using var dir = new TempDir();
        var report = MakeMap(dir);
        var edited = report.DeepClone().AsObject();
        edited["parent"]!["shape"]!["layers"] = 12;
        AssertReplayRefused(dir, edited.ToJsonString(), "parent.shape.layers");

        edited = report.DeepClone().AsObject();
        edited["target"]!["hidden"] = 48;
        AssertReplayRefused(dir, edited.ToJsonString(), "target.hidden");

        edited = report.DeepClone().AsObject();
        edited["format"] = "subclone.clone_map/99";
        AssertReplayRefused(dir, edited.ToJsonString(), "format");
    }

    [SharedFact]
    public void Item13_other_weights_of_the_same_shape_replay_with_a_warning()
    {
        using var dir = new TempDir();
        var report = MakeMap(dir);
        report["parent"]!["sha256"] = new string('0', 64);
        File.WriteAllText(dir["edited.json"], report.ToJsonString());
        var replay = CliRunner.Run("clone", SharedData.Fixture("gpt2-tiny"), "--out", dir["replay"], "--map", dir["edited.json"]);
        Assert.True(replay.ExitCode == 0, replay.Error);
        Assert.Contains("warning", replay.Error);
        Assert.Contains("other weights", replay.Error);
    }

    [SharedFact]
    public void Item17_a_Llama_map_on_GPT2_says_it_is_the_wrong_parent()
    {
        using var dir = new TempDir();
        var llamaMap = MakeMap(dir, "llama-tiny-gqa");
        File.WriteAllText(dir["llama.json"], llamaMap.ToJsonString());
        string line = Refusal.Assert(["clone", SharedData.Fixture("gpt2-tiny"), "--out", dir["replay"], "--map", dir["llama.json"]],
            "parent.architecture", "LlamaForCausalLM", "another parent");
        Assert.DoesNotContain("KV head", line);
    }
}
