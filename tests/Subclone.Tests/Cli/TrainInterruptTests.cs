using System.Text.Json.Nodes;
using Subclone.Tests.Support;
using Subclone.Tests.Training;

namespace Subclone.Tests.Cli;

/// <summary>One interrupt policy for training too: Program.Main's handler cancels <c>CliIo.Interrupt</c> on the first Ctrl+C (and lets a
/// second end the process); training stops at a step boundary with a checkpoint and exits 130.</summary>
public class TrainInterruptTests
{
    /// <summary>Stderr that presses Ctrl+C (cancels the command's interrupt) when the first progress line arrives.</summary>
    sealed class InterruptOnProgress(CancellationTokenSource interrupt) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.StartsWith("step ", StringComparison.Ordinal)) interrupt.Cancel();
        }
    }

    [Fact]
    public void Ctrl_C_during_train_checkpoints_where_it_stands_exits_130_and_resume_finishes_the_run()
    {
        using var dir = new TempDir();
        TrainingTestKit.WriteByteTokenizer(dir["model"]);
        File.WriteAllText(dir["model/config.json"], TrainingTestKit.Gpt2Config(positions: 32).ToJsonString());
        string data = TrainingTestKit.WriteStories(dir["stories.txt"], 60);
        string[] run = ["train", "--config", dir["model/config.json"], "--data", data, "--out", dir["run"], "--steps", "40", "--batch", "2",
            "--seq", "16", "--eval-every", "0", "--cache", dir["cache"]];

        using var interrupt = new CancellationTokenSource();
        var stdout = new StringWriter();
        var stderr = new InterruptOnProgress(interrupt);
        // Progress on, as on a terminal: the interrupt is pressed at the first progress line.
        int code = Subclone.Cli.Program.Run(run, stdout, stderr, interrupt: interrupt.Token, progress: true);

        Assert.True(code == 130, $"exit {code}: {stderr}");
        Assert.EndsWith("--resume continues", stderr.ToString().TrimEnd().Split('\n')[^1]);
        int stoppedAt = TrainingStateStep(dir["run"]);
        Assert.InRange(stoppedAt, 1, 39);  // stopped early, at a step boundary, with the checkpoint on disk

        var resumed = CliRunner.Run("train", "--out", dir["run"], "--resume", "--cache", dir["cache"], "--json");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Equal((40, 40 - stoppedAt), ((int)JsonNode.Parse(resumed.Out)!["step"]!, (int)JsonNode.Parse(resumed.Out)!["steps_this_run"]!));
    }

    static int TrainingStateStep(string run) => Subclone.Training.TrainingState.Read(Path.Combine(run, "trainer_state.json")).Step;

    [Fact]
    public void Only_Program_installs_a_Ctrl_C_handler()
    {
        // A command with its own handler swallows the second Ctrl+C (it always sets e.Cancel) and bypasses exit 130.
        string cli = Path.Combine(RepositoryRoot(), "src", "Subclone.Cli");
        var handlers = Directory.GetFiles(cli, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Where(f => File.ReadAllText(f).Contains("CancelKeyPress", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(cli, f)).ToList();
        Assert.Equal(["Program.cs"], handlers);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(RepositoryRoot(), "src", "Subclone"), "*.cs", SearchOption.AllDirectories),
            f => File.ReadAllText(f).Contains("CancelKeyPress", StringComparison.Ordinal));
    }

    internal static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Subclone.sln"))) return d.FullName;
        throw new InvalidOperationException("Subclone.sln not found above the test binaries");
    }
}
