using System.Text.Json.Nodes;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;

namespace Subclone.Tests.Training;

public class TrainCliTests
{
    /// <summary>A directory with a tiny GPT-2 config.json and a byte-level tokenizer beside it, and a story file.</summary>
    static (string Config, string Data) Setup(TempDir dir, int vocab = 257)
    {
        TrainingTestKit.WriteByteTokenizer(dir["model"]);
        var config = TrainingTestKit.Gpt2Config(positions: 32);
        config["vocab_size"] = vocab;
        File.WriteAllText(dir["model/config.json"], config.ToJsonString());
        return (dir["model/config.json"], TrainingTestKit.WriteStories(dir["stories.txt"], 120));
    }

    [Fact]
    public void Train_from_config_then_eval_resume_and_fine_tune()
    {
        using var dir = new TempDir();
        var (config, data) = Setup(dir);
        string[] small = ["--batch", "4", "--seq", "16", "--lr", "3e-3", "--eval-every", "6", "--eval-batches", "2", "--cache", dir["cache"], "--json"];

        var train = CliRunner.Run(["train", "--config", config, "--data", data, "--out", dir["run"], "--steps", "12", .. small]);
        Assert.True(train.ExitCode == 0, train.Error);
        var summary = JsonNode.Parse(train.Out)!;
        Assert.Equal(12, (int)summary["step"]!);
        Assert.Equal(12 * 4 * 16, (long)summary["tokens"]!);
        Assert.True((double)summary["val_loss"]! < (double)summary["initial_val_loss"]! - 0.5, train.Out);
        Assert.Equal(Enumerable.Range(0, 13), new Subclone.Training.MetricsLog(dir["run"]).Read().Select(r => (int)r["step"]!));

        // eval on the run directory defaults to the run's data and windows: the run's last validation loss.
        var eval = CliRunner.Run("eval", dir["run"], "--cache", dir["cache"], "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        var measured = JsonNode.Parse(eval.Out)!;
        Assert.Equal((double)summary["val_loss"]!, (double)measured["loss"]!, 9);
        Assert.Equal(Math.Exp((double)measured["loss"]!), (double)measured["ppl"]!, 9);
        Assert.Equal(2 * 4 * 16, (long)measured["tokens"]!);

        var resumed = CliRunner.Run("train", "--out", dir["run"], "--resume", "--steps", "16", "--cache", dir["cache"], "--json");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Equal((16, 4), ((int)JsonNode.Parse(resumed.Out)!["step"]!, (int)JsonNode.Parse(resumed.Out)!["steps_this_run"]!));

        // The run directory is a model like any other: train it further into a new directory, tokenizer and all.
        var tuned = CliRunner.Run(["train", dir["run"], "--data", data, "--out", dir["tuned"], "--steps", "2", .. small]);
        Assert.True(tuned.ExitCode == 0, tuned.Error);
        Assert.True(File.Exists(dir["tuned/vocab.json"]));
        Assert.Equal(2, (int)JsonNode.Parse(tuned.Out)!["step"]!);
    }

    [Fact]
    public void Text_mode_reports_progress_on_stderr_and_a_table_on_stdout()
    {
        using var dir = new TempDir();
        var (config, data) = Setup(dir);

        var train = CliRunner.RunWithProgress("train", "--config", config, "--data", data, "--out", dir["run"], "--steps", "4", "--batch", "2", "--seq", "8",
            "--eval-every", "2", "--eval-batches", "1", "--cache", dir["cache"]);

        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("step 4/4 loss", train.Error);
        Assert.Contains("tokenizing", train.Error);
        Assert.Contains("val_loss", train.Out);
    }

    [Theory]
    [InlineData("exists", "already exists")]
    [InlineData("no model", "give a MODEL")]
    [InlineData("resume without state", "trainer_state.json")]
    [InlineData("zero steps", "--steps 0: must be positive")]
    [InlineData("tokenizer too big", "does not fit the model's vocab_size 100")]
    [InlineData("seq too long", "exceeds the model's n_positions")]
    [InlineData("missing data", "no such file")]
    public void Bad_requests_exit_2_with_one_line(string what, string message)
    {
        using var dir = new TempDir();
        var (config, data) = Setup(dir, vocab: what == "tokenizer too big" ? 100 : 257);
        string[] common = ["--data", what == "missing data" ? dir["nothing.txt"] : data, "--batch", "2", "--cache", dir["cache"],
            "--steps", what == "zero steps" ? "0" : "2", "--seq", what == "seq too long" ? "64" : "8"];
        string[] args = what switch
        {
            "exists" => ["train", "--config", config, "--out", Directory.CreateDirectory(dir["taken"]).FullName, .. common],
            "no model" => ["train", "--out", dir["run"], .. common],
            "resume without state" => ["train", "--out", dir["model"], "--resume", .. common],
            _ => ["train", "--config", config, "--out", dir["run"], .. common],
        };

        var result = CliRunner.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("subclone: error:", result.Error.Split('\n').Last(l => l.Length > 0));
        Assert.Contains(message, result.Error);
        Assert.Single(result.Error.Split('\n'), l => l.StartsWith("subclone: error:"));
        Assert.False(Directory.Exists(dir["run"]));
    }

    [Fact]
    public void Eval_of_a_model_without_tokenizer_files_needs_tokenizer()
    {
        using var dir = new TempDir();
        var (_, data) = Setup(dir);
        var config = TinyModels.LlamaConfig();
        config["vocab_size"] = 257;
        Subclone.Checkpoints.HfCheckpoint.Save(Subclone.Models.TransformerModel.Create(Subclone.Models.ModelConfig.Parse(config, "llama")),
            dir["llama"], TorchSharp.torch.ScalarType.Float32);

        var without = CliRunner.Run("eval", dir["llama"], "--data", data, "--seq", "16", "--cache", dir["cache"]);
        var with = CliRunner.Run("eval", dir["llama"], "--data", data, "--seq", "16", "--tokenizer", dir["model/vocab.json"], "--cache", dir["cache"], "--json");

        Assert.Equal(2, without.ExitCode);
        Assert.Contains("pass --tokenizer", without.Error);
        Assert.True(with.ExitCode == 0, with.Error);
        // An untrained model is close to uniform over its 257 ids.
        Assert.InRange((double)JsonNode.Parse(with.Out)!["loss"]!, Math.Log(257) - 0.3, Math.Log(257) + 0.3);
    }
}
