namespace Subclone.Tests.Cli.Defects;

/// <summary>The promise for bad input: exit code 2 and exactly one line on stderr, "subclone: error: …", naming the problem.</summary>
internal static class Refusal
{
    /// <summary>Runs the command line in-process and asserts it was refused with one line containing every one of <paramref name="mentions"/>.</summary>
    public static string Assert(string[] args, params string[] mentions) => Of(CliRunner.Run(args), args, mentions);

    /// <summary>Asserts <paramref name="result"/> is a one-line refusal mentioning each of <paramref name="mentions"/>; returns the line.</summary>
    public static string Of(CliRunner.Result result, string[] args, params string[] mentions)
    {
        string command = "subclone " + string.Join(' ', args);
        Xunit.Assert.True(result.ExitCode == 2, $"{command}: exit {result.ExitCode}, stderr: {result.Error}");
        var lines = result.Error.TrimEnd().Split('\n');
        Xunit.Assert.True(lines.Length == 1, $"{command}: {lines.Length} lines on stderr:\n{result.Error}");
        Xunit.Assert.StartsWith("subclone: error:", lines[0]);
        foreach (string mention in mentions)
            Xunit.Assert.True(lines[0].Contains(mention, StringComparison.Ordinal), $"{command}: '{lines[0]}' does not mention '{mention}'");
        return lines[0];
    }
}
