using System.Text.Json.Nodes;
using Subclone.Data;
using Subclone.Tests.Support;
using Subclone.Tests.Training;

namespace Subclone.Tests.Cli.Defects;

/// <summary>
/// Issue 11, items 12, 15, 16 and 18: binary files are refused as text, a one-document corpus holds out its tail,
/// evaluation is bounded by the validation split, and a failure is the one line on stderr.
/// </summary>
public class CorpusTests
{
    /// <summary>A tiny GPT-2 config with a byte tokenizer beside it, as train --config reads them.</summary>
    static string Config(TempDir dir)
    {
        TrainingTestKit.WriteByteTokenizer(dir["model"]);
        File.WriteAllText(dir["model/config.json"], TrainingTestKit.Gpt2Config(positions: 32).ToJsonString());
        return dir["model/config.json"];
    }

    static string[] Small(TempDir dir) =>
        ["--steps", "1", "--batch", "2", "--seq", "8", "--eval-every", "1", "--eval-batches", "1", "--cache", dir["cache"], "--json"];

    [SharedFact]
    public void Item12_a_gzip_image_file_is_refused_as_training_text()
    {
        using var dir = new TempDir();
        string images = SharedData.Data("mnist/t10k-images-idx3-ubyte.gz");
        Refusal.Assert(["train", "--config", Config(dir), "--data", images, "--out", dir["run"], .. Small(dir)], images, "not text");
        Assert.False(Directory.Exists(dir["run"]));
    }

    [SharedFact]
    public void Item12_random_bytes_are_refused_as_calibration_text()
    {
        using var dir = new TempDir();
        var bytes = new byte[4096];
        new Random(1).NextBytes(bytes);
        File.WriteAllBytes(dir["rand.bin"], bytes);
        Refusal.Assert(["clone", SharedData.Fixture("hf-tiny-random-gpt2"), "--out", dir["child"], "--ratio", "0.5", "--calib", dir["rand.bin"]],
            dir["rand.bin"]);
        Assert.False(Directory.Exists(dir["child"]));
    }

    [Fact]
    public void Item12_text_corpus_reads_utf8_and_refuses_binary()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["ok.txt"], "héllo wörld\n\nsecond");
        Assert.Equal(["héllo wörld", "second"], TextCorpus.Load([dir["ok.txt"]]));
        File.WriteAllBytes(dir["nul.txt"], [0x61, 0x00, 0x62]);
        Assert.Contains("binary", Assert.Throws<UserInputException>(() => TextCorpus.Load([dir["nul.txt"]])).Message);
        File.WriteAllBytes(dir["latin1.txt"], [0x61, 0xE9, 0x62]);
        Assert.Contains("not UTF-8", Assert.Throws<UserInputException>(() => TextCorpus.Load([dir["latin1.txt"]])).Message);
    }

    [Fact]
    public void Item15_one_document_holds_out_its_tail_after_the_train_part()
    {
        using var dir = new TempDir();
        var tokenizer = TrainingTestKit.ByteTokenizer(dir);
        string book = TrainingTestKit.Stories(40).Replace("\n\n", " ");  // no blank line: one document
        File.WriteAllText(dir["book.txt"], book);
        using var tokens = TokenCache.Open([dir["book.txt"]], tokenizer, dir["cache"]);
        Assert.True(tokens.Info.ValidationIsTail);
        Assert.Equal(1, tokens.Info.Documents);
        var ids = tokenizer.Encode(book.Trim());
        long held = tokens.Info.ValidationTokens - 1;  // the tail, then EOS
        Assert.InRange(held, 1, ids.Count / 10);
        // Train then validation, each a contiguous run of the document: the first ids, then the last ones.
        Assert.Equal(ids.Take(5).Select(i => (long)i), Enumerable.Range(0, 5).Select(i => tokens[i]));
        Assert.Equal((long)ids[^1], tokens[tokens.Count - 2]);
        Assert.Equal(tokens.Info.TrainTokens + tokens.Info.ValidationTokens, tokens.Count);
        Assert.Equal(true, (bool?)JsonNode.Parse(File.ReadAllText(Directory.GetFiles(dir["cache"], "*.json").Single()))!["split"]!["validation_is_tail"]);
    }

    [Fact]
    public void Item15_train_accepts_a_one_document_corpus()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["book.txt"], TrainingTestKit.Stories(40).Replace("\n\n", " "));
        var train = CliRunner.Run(["train", "--config", Config(dir), "--data", dir["book.txt"], "--out", dir["run"], .. Small(dir)]);
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.True(double.IsFinite((double)JsonNode.Parse(train.Out)!["val_loss"]!));
    }

    [Fact]
    public void Item16_eval_batches_beyond_the_validation_split_are_refused()
    {
        using var dir = new TempDir();
        TrainingTestKit.WriteStories(dir["stories.txt"], 40);
        var train = CliRunner.Run(["train", "--config", Config(dir), "--data", dir["stories.txt"], "--out", dir["run"], .. Small(dir)]);
        Assert.True(train.ExitCode == 0, train.Error);
        Refusal.Assert(["eval", dir["run"], "--eval-batches", "1000000", "--cache", dir["cache"]], "--eval-batches", "validation split");
    }

    [Fact]
    public void Item18_a_failure_after_progress_is_the_only_line_and_with_progress_the_last()
    {
        using var dir = new TempDir();
        TrainingTestKit.WriteStories(dir["stories.txt"], 40);
        string[] args = ["train", "--config", Config(dir), "--data", dir["stories.txt"], "--out", dir["run"], "--steps", "1", "--batch", "2",
            "--seq", "8", "--eval-batches", "100000", "--cache", dir["cache"]];
        // Reading and tokenising the data printed status lines before the split showed the request impossible.
        Refusal.Assert(args, "--eval-batches");
        var shown = CliRunner.RunWithProgress(args);
        Assert.Equal(2, shown.ExitCode);
        var lines = shown.Error.TrimEnd().Split('\n');
        Assert.True(lines.Length > 1, "progress was expected before the error: " + shown.Error);
        Assert.StartsWith("subclone: error:", lines[^1]);
        Assert.Single(lines, l => l.StartsWith("subclone: error:"));
    }
}
