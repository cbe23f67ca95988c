namespace Subclone.Tests.Cli;

/// <summary>Runs the subclone command in-process and captures what it printed.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    /// <summary>Runs as a script would: stderr is not a terminal, so it holds warnings and errors only.</summary>
    public static Result Run(params string[] args) => Run(args, progress: false);

    /// <summary>Runs as on a terminal: progress and status lines on stderr too.</summary>
    public static Result RunWithProgress(params string[] args) => Run(args, progress: true);

    static Result Run(string[] args, bool progress)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Subclone.Cli.Program.Run(args, stdout, stderr, progress: progress);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
