using System.Text.Json.Nodes;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using Subclone.Training;

namespace Subclone.Tests.Training;

public class CompareTests
{
    [SharedFact]
    public void Compare_trains_every_init_on_the_same_schedule_and_writes_csv_plot_and_summary()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("compare", SharedData.Fixture("hf-tiny-random-gpt2"), "--data", SharedData.Data("tinystories/tinystories_valid_prefix.txt"),
            "--out", dir["cmp"], "--cache", dir["cache"], "--hidden", "16", "--heads", "2", "--ffn", "18", "--layers", "3",
            "--inits", "subclone,uniform,random", "--steps", "12", "--batch", "4", "--seq", "32", "--eval-every", "4", "--eval-batches", "2",
            "--subclone-lr", "3e-4", "--json");
        Assert.True(result.ExitCode == 0, result.Error);

        var summary = JsonNode.Parse(result.Out)!;
        var inits = summary["inits"]!.AsObject();
        Assert.Equal(["subclone", "uniform", "random"], inits.Select(kv => kv.Key));
        Assert.Equal(3e-4, (double)inits["subclone"]!["lr"]!);        // overridden
        Assert.Equal(0.001, (double)inits["uniform"]!["wd"]!);        // paper preset for weight-inheriting children
        Assert.Equal(1e-3, (double)inits["random"]!["lr"]!);          // paper preset for random init
        Assert.Equal(12, (double)inits["random"]!["steps_to_random_final"]!["mean"]!);  // random reaches its own final loss at the end
        Assert.Equal((double)summary["target_loss"]!["mean"]!, (double)inits["random"]!["final_loss"]!["mean"]!);
        Assert.All(inits, kv => Assert.Equal((long)inits["random"]!["params"]!, (long)kv.Value!["params"]!));

        var rows = File.ReadAllLines(dir["cmp/metrics.csv"]).Skip(1).Select(l => l.Split(',')).Where(c => c[4] != "").ToList();
        // Every init is evaluated at steps 0, 4, 8, 12.
        foreach (string init in new[] { "subclone", "uniform", "random" })
            Assert.Equal([0, 4, 8, 12], rows.Where(c => c[0] == init).Select(c => int.Parse(c[1])));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir["cmp/loss.png"])[..4]);
        Assert.True(File.Exists(dir["cmp/subclone/config.json"]), "each child's run directory is an HF model");
    }

    [Fact]
    public void Speedup_is_random_steps_over_the_inits_steps_to_random_final_loss_read_between_evaluations()
    {
        static StepMetrics Eval(int step, double loss) => new(step, 0, null, loss, null, step * 64L, 0, 0);
        var random = new ComparisonRun("random", 10, 1e-3, 0.1, [Eval(0, 6), Eval(100, 5), Eval(200, 4.5), Eval(400, 4.0)]);
        var subclone = new ComparisonRun("subclone", 10, 1e-4, 0.001, [Eval(0, 5), Eval(100, 3.9), Eval(200, 3.5), Eval(400, 3.2)]);
        var slow = new ComparisonRun("uniform", 10, 1e-4, 0.001, [Eval(0, 7), Eval(100, 6), Eval(200, 5), Eval(400, 4.4)]);

        var json = new ComparisonResult([subclone, slow, random], 400, "parent", "child").ToJson();

        Assert.Equal(4.0, (double)json["target_loss"]!["mean"]!);
        // By hand: subclone falls from 5 (step 0) to 3.9 (step 100), so it reaches 4.0 at 100 · (5 − 4) / (5 − 3.9) = 90.9.
        var node = json["inits"]!["subclone"]!;
        Assert.Equal(Math.Round(100 * 1.0 / 1.1, 1), (double)node["steps_to_random_final"]!["mean"]!);
        Assert.Equal(Math.Round(64 * 100 * 1.0 / 1.1), (double)node["tokens_to_random_final"]!["mean"]!);
        Assert.Equal(Math.Round(400 / (100 * 1.0 / 1.1), 2), (double)node["speedup_vs_random"]!["mean"]!);  // 4.4, not the grid's 4
        Assert.Null(json["inits"]!["uniform"]!["steps_to_random_final"]);
        Assert.Equal(0, (int)json["inits"]!["uniform"]!["seeds_reached"]!);
        Assert.Equal(1.0, (double)json["inits"]!["random"]!["speedup_vs_random"]!["mean"]!);
        Assert.Equal(0, (int)node["seeds_reached_at_init"]!);
    }

    [Fact]
    public void The_crossing_is_interpolated_linearly_between_the_evaluations_around_it()
    {
        (double, double)[] curve = [(0, 6.0), (10, 5.0), (20, 4.0), (30, 4.2), (40, 3.0)];
        // By hand: 4.4 lies 0.6 of the way from 5.0 (step 10) down to 4.0 (step 20): step 16.
        Assert.Equal(16.0, CurveCrossing.FirstReaching(curve, 4.4)!.Value, 9);
        // The first crossing counts, not a later one (4.1 is crossed between 10 and 20, again after 30).
        Assert.Equal(19.0, CurveCrossing.FirstReaching(curve, 4.1)!.Value, 9);
        Assert.Equal(20.0, CurveCrossing.FirstReaching(curve, 4.0)!.Value, 9);   // on an evaluation: that step
        Assert.Equal(0.0, CurveCrossing.FirstReaching(curve, 6.5)!.Value);       // already there before training
        Assert.Null(CurveCrossing.FirstReaching(curve, 2.9));                    // never reached
    }

    [Fact]
    public void A_child_at_randoms_final_loss_before_training_has_no_finite_speedup()
    {
        static StepMetrics Eval(int step, double loss) => new(step, 0, null, loss, null, 0, 0, 0);
        var random = new ComparisonRun("random", 10, 2e-3, 0.2, [Eval(0, 0.9), Eval(100, 0.3), Eval(200, 0.2)]);
        var subclone = new ComparisonRun("subclone", 10, 1e-4, 0.005, [Eval(0, 0.15), Eval(100, 0.14), Eval(200, 0.13)]);

        var json = new ComparisonResult([subclone, random], 200, "parent", "child") { StepsPerEpoch = 400 }.ToJson();

        Assert.Equal(0, (double)json["inits"]!["subclone"]!["steps_to_random_final"]!["mean"]!);
        Assert.Equal(1, (int)json["inits"]!["subclone"]!["seeds_reached_at_init"]!);
        Assert.Null(json["inits"]!["subclone"]!["speedup_vs_random"]);
        Assert.Equal(0.5, (double)json["inits"]!["random"]!["epochs_to_random_final"]!["mean"]!);
    }
}

public class EncoderCompareTests
{
    [Fact]
    public void Compare_distills_MiniLM_children_and_the_subclone_starts_closest_to_the_parent()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("compare", "minilm", "--out", dir["cmp"], "--ratio", "0.5", "--layers", "3",
            "--inits", "subclone,random", "--steps", "4", "--batch", "4", "--seq", "24", "--eval-every", "2", "--eval-batches", "2", "--json");
        Assert.True(result.ExitCode == 0, result.Error);

        var summary = JsonNode.Parse(result.Out)!;
        Assert.Contains("cosine", (string)summary["metric"]!);
        double subclone = (double)summary["inits"]!["subclone"]!["init_loss"]!["mean"]!, random = (double)summary["inits"]!["random"]!["init_loss"]!["mean"]!;
        Assert.InRange(subclone, 0, 2);
        Assert.True(subclone < random - 0.2, $"1 − cosine at init: subclone {subclone}, random {random}");
        var rows = File.ReadAllLines(dir["cmp/metrics.csv"]).Skip(1).Select(l => l.Split(',')).Where(c => c[4] != "").ToList();
        Assert.Equal([0, 2, 4], rows.Where(c => c[0] == "subclone").Select(c => int.Parse(c[1])));
        Assert.True(File.Exists(dir["cmp/subclone/model.safetensors"]));
    }
}

public class ImageCompareTests
{
    [SharedFact]
    public void Compare_trains_ViT_children_on_IDX_images_and_reports_top1_error()
    {
        using var dir = new TempDir();
        var config = Subclone.Models.ModelConfig.Parse(new JsonObject
        {
            ["model_type"] = "vit", ["hidden_size"] = 32, ["num_hidden_layers"] = 2, ["num_attention_heads"] = 2,
            ["intermediate_size"] = 64, ["image_size"] = 16, ["patch_size"] = 4, ["num_channels"] = 1,
            ["id2label"] = new JsonObject(Enumerable.Range(0, 10).Select(i => KeyValuePair.Create(i.ToString(), (JsonNode?)$"digit {i}"))),
        }, "vit config");
        Subclone.Checkpoints.HfCheckpoint.Save(Subclone.Models.TransformerModel.Create(config, seed: 0), dir["parent"], TorchSharp.torch.ScalarType.Float32);

        var result = CliRunner.Run("compare", dir["parent"], "--data", SharedData.Data("mnist/t10k-images-idx3-ubyte.gz"), "--out", dir["cmp"],
            "--ratio", "0.5", "--inits", "subclone,random", "--steps", "6", "--batch", "16", "--eval-every", "3", "--json");
        Assert.True(result.ExitCode == 0, result.Error);

        var summary = JsonNode.Parse(result.Out)!;
        Assert.Contains("top-1 error", (string)summary["metric"]!);
        Assert.Equal(2e-3, (double)summary["inits"]!["random"]!["lr"]!);     // the paper's ViT preset for random init
        Assert.Equal(0.005, (double)summary["inits"]!["subclone"]!["wd"]!);  // ... and for subcloned children
        Assert.All(summary["inits"]!.AsObject(), kv => Assert.InRange((double)kv.Value!["final_loss"]!["mean"]!, 0, 1));
        Assert.Equal(9_000 / 16, (int)summary["steps_per_epoch"]!);  // the held-out tenth is not trained on
        Assert.Equal(Math.Round(6.0 / (9_000 / 16), 3), (double)summary["epochs"]!);
        var rows = File.ReadAllLines(dir["cmp/metrics.csv"]).Skip(1).Select(l => l.Split(',')).Where(c => c[4] != "").ToList();
        Assert.Equal([0, 3, 6], rows.Where(c => c[0] == "subclone").Select(c => int.Parse(c[1])));
        Assert.True(File.Exists(dir["cmp/random/model.safetensors"]));
    }
}
