using System.Diagnostics;
using Subclone.Checkpoints;
using Subclone.Tests.Support;

namespace Subclone.Tests.Cli;

/// <summary>A clone killed with SIGKILL at any moment leaves either no child or a complete one, never a partial one.</summary>
public class KillSafetyTests
{
    static Process StartClone(string parent, string output, string calib)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "Subclone.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "exec", cli, "clone", parent, "--out", output, "--ratio", "0.5", "--layers", "2",
            "--calib", calib, "--calib-samples", "16", "--calib-length", "64", "--json" })
            start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    [SharedFact]
    public void Killing_a_clone_at_random_moments_never_leaves_a_partial_child()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        string parent = SharedData.Fixture("hf-tiny-random-gpt2");
        string calib = SharedData.Data("tinystories/tinystories_valid_prefix.txt");

        // How long an uninterrupted run takes, to spread the kills over it.
        var timer = Stopwatch.StartNew();
        using (var full = StartClone(parent, dir["reference"], calib))
        {
            full.WaitForExit();
            Assert.True(full.ExitCode == 0, full.StandardError.ReadToEnd());
        }
        double totalMs = timer.Elapsed.TotalMilliseconds;

        var random = new Random(42);
        int complete = 0, absent = 0;
        for (int i = 0; i < 10; i++)
        {
            string output = dir[$"child{i}"];
            using var clone = StartClone(parent, output, calib);
            // Kill times sweep the whole run (and past it), jittered: start-up, calibration, slicing, writing.
            Thread.Sleep(TimeSpan.FromMilliseconds((i + random.NextDouble()) / 10 * 1.3 * totalMs));
            // SIGKILL (it may have finished already); the last run is left to finish, so a complete child is always seen.
            if (i < 9) try { clone.Kill(); } catch (InvalidOperationException) { }
            clone.WaitForExit();

            if (Directory.Exists(output))
            {
                var loaded = HfCheckpoint.Load(output);  // complete: loads, and has the map written with it
                Assert.Equal(16, loaded.Model.Config.Hidden);
                Assert.True(File.Exists(Path.Combine(output, "clone_map.json")));
                complete++;
            }
            else absent++;
        }
        Assert.Equal(10, complete + absent);
        Assert.True(complete > 0 && absent > 0, "the sweep must see both outcomes");
        Console.WriteLine($"uninterrupted {totalMs:F0} ms; {complete} complete, {absent} absent after kills");

        // A later save of the same name removes what killed runs left in hidden temporaries.
        var result = CliRunner.Run("clone", parent, "--out", dir["child0"], "--ratio", "0.5", "--layers", "2", "--select", "first", "--force");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Empty(Directory.GetDirectories(dir.Path, ".child0.tmp-*"));
    }
}

public class InterruptTests
{
    [SharedFact]
    public void An_interrupted_clone_exits_130_and_writes_nothing()
    {
        using var dir = new TempDir();
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();  // as if Ctrl+C arrived during calibration
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = Subclone.Cli.Program.Run(["clone", SharedData.Fixture("hf-tiny-random-gpt2"), "--out", dir["child"], "--ratio", "0.5",
            "--calib", SharedData.Data("tinystories/cs336_tinystories_sample.txt"), "--calib-samples", "4", "--calib-length", "16"],
            stdout, stderr, interrupt: interrupt.Token);

        Assert.Equal(130, code);
        Assert.Contains("interrupted", stderr.ToString());
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
