using System.Text.Json.Nodes;
using Subclone.Tests.Support;

namespace Subclone.Tests.Cli.Defects;

/// <summary>
/// Issue 11, items 9 and 17 (found again by the sweep): a number JSON cannot hold (NaN, infinity) made writing a
/// result fail with ".NET number values such as positive and negative infinity cannot be written as valid JSON"; a
/// diverged run is a result, written with null, and rank accepts the --calib-random-ids its message suggests.
/// </summary>
public class NonFiniteResultTests
{
    [Fact]
    public void Non_finite_numbers_become_null_everywhere_in_a_tree()
    {
        var node = new JsonObject
        {
            ["loss"] = double.NaN, ["ppl"] = double.PositiveInfinity, ["ok"] = 1.5,
            ["rows"] = new JsonArray(new JsonObject { ["v"] = float.NegativeInfinity }, 2.0, double.NaN),
        };
        string text = FiniteJson.Of(node).ToJsonString();
        Assert.Equal("""{"loss":null,"ppl":null,"ok":1.5,"rows":[{"v":null},2,null]}""", text);
    }

    [SharedFact]
    public void A_diverging_run_finishes_and_its_metrics_parse()
    {
        using var dir = new TempDir();
        var random = new Random(1);
        string[] words = ["the", "cat", "sat", "on", "a", "mat", "dog"];
        File.WriteAllText(dir["t.txt"], string.Join("\n\n", Enumerable.Range(0, 60).Select(_ => string.Join(' ', Enumerable.Range(0, 30).Select(_ => words[random.Next(words.Length)])))));
        var run = CliRunner.Run("train", SharedData.Fixture("hf-tiny-random-gpt2"), "--data", dir["t.txt"], "--out", dir["run"], "--steps", "5",
            "--batch", "2", "--seq", "8", "--lr", "10", "--wd", "10", "--eval-every", "1", "--eval-batches", "1", "--cache", dir["cache"], "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.NotNull(JsonNode.Parse(run.Out));
        foreach (string line in File.ReadAllLines(dir["run/metrics.jsonl"])) Assert.NotNull(JsonNode.Parse(line));
    }

    [SharedFact]
    public void Item17_rank_accepts_the_random_ids_its_message_suggests()
    {
        using var dir = new TempDir();
        var noText = CliRunner.Run("rank", SharedData.Fixture("gpt2-tiny"), "--out", dir["scores.json"]);
        Assert.Equal(2, noText.ExitCode);
        Assert.Contains("--calib-random-ids", noText.Error);
        var ranked = CliRunner.Run("rank", SharedData.Fixture("gpt2-tiny"), "--out", dir["scores.json"], "--calib-random-ids", "2x8");
        Assert.True(ranked.ExitCode == 0, ranked.Error);
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(dir["scores.json"])));
        Assert.True(File.Exists(dir["scores.png"]));
    }
}
