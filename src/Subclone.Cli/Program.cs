using System.CommandLine;
using Subclone.Cli.Commands;

namespace Subclone.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs one command line; tests call this in-process with their own writers.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Subclone: make a smaller transformer from a larger pretrained one by weight subcloning, then train it.");
        var io = new CliIo(stdout, stderr);
        root.Subcommands.Add(DemoCommand.Create(io));
        root.Subcommands.Add(InfoCommand.Create(io));
        root.Subcommands.Add(GenerateCommand.Create(io));
        root.Subcommands.Add(EmbedCommand.Create(io));
        root.Subcommands.Add(ImportCommand.Create(io));
        root.Subcommands.Add(RankCommand.Create(io));
        root.Subcommands.Add(CloneCommand.Create(io));
        root.Subcommands.Add(InitCommand.Create(io));
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            // Bad arguments are bad input like any other: one line, exit code 2.
            stderr.WriteLine($"subclone: error: {parse.Errors[0].Message}");
            return CliIo.UserError;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
