using System.Text.Json.Nodes;
using Subclone.Fuzz;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;

namespace Subclone.Tests.Training;

/// <summary>train --tokenizer path/tokenizer.json: the text is read with it, and it travels into the run directory.</summary>
public class TrainWithTokenizerJsonTests
{
    [Fact]
    public void A_tokenizer_json_file_is_used_and_copied_with_its_config()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["tok"]);
        File.WriteAllText(dir["tok/tokenizer.json"], TokenizerJsonSeeds.Gpt2Style().ToJsonString());
        File.WriteAllText(dir["tok/tokenizer_config.json"], """{"eos_token": "<|end_of_text|>"}""");
        Directory.CreateDirectory(dir["model"]);
        var config = TrainingTestKit.Gpt2Config(positions: 32);
        config["vocab_size"] = 303;  // 256 bytes, 3 merges, added tokens up to id 302
        File.WriteAllText(dir["model/config.json"], config.ToJsonString());
        string data = TrainingTestKit.WriteStories(dir["stories.txt"], 40);

        var train = CliRunner.Run("train", "--config", dir["model/config.json"], "--tokenizer", dir["tok/tokenizer.json"], "--data", data,
            "--out", dir["run"], "--steps", "2", "--batch", "2", "--seq", "8", "--eval-every", "2", "--eval-batches", "1", "--cache", dir["cache"], "--json");

        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Equal(File.ReadAllText(dir["tok/tokenizer.json"]), File.ReadAllText(dir["run/tokenizer.json"]));
        Assert.True(File.Exists(dir["run/tokenizer_config.json"]));
        Assert.IsType<Subclone.Data.Tokenizers.FastTokenizer>(Subclone.Checkpoints.TokenizerLoader.FromModelDirectory(dir["run"]));
    }
}
