using Subclone.Checkpoints.Hub;
using Subclone.Cli.Commands;

namespace Subclone.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // The first Ctrl+C asks the running command to stop cleanly (training checkpoints, a clone writes nothing);
        // a second one is not intercepted and ends the process at once.
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (interrupt.IsCancellationRequested) return;
            e.Cancel = true;
            interrupt.Cancel();
        };
        return Run(args, Console.Out, Console.Error, interrupt: interrupt.Token);
    }

    /// <summary>Runs one command line; tests call this in-process with their own writers (and Hub settings, instead of the environment's).</summary>
    /// <param name="progress">Print progress and status lines on <paramref name="stderr"/>; by default only when it is a terminal
    /// (see <see cref="CliIo.ShowProgress"/>), so a failure prints exactly one line.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, HubSettings? hub = null, CancellationToken interrupt = default,
        bool? progress = null)
    {
        var io = new CliIo(stdout, stderr, hub) { Interrupt = interrupt, ShowProgress = progress ?? CliIo.ProgressByDefault(stderr) };
        var root = BuildRoot(io);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            // Bad arguments are bad input like any other: one line, exit code 2.
            stderr.WriteLine($"subclone: error: {Describe(parse, root, args)}");
            return CliIo.UserError;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>
    /// The command tree with every option's rules (<see cref="OptionRules"/>) and the output check (<see cref="OutputGuard"/>)
    /// attached; the help and the edge-case sweep read it too.
    /// </summary>
    public static Command BuildRoot(CliIo io)
    {
        // A plain command named "subclone" rather than RootCommand, whose name (and so the help's usage line) would be the
        // executable's, Subclone.Cli; --help and --version are added as RootCommand would.
        var root = new Command("subclone", "Subclone: make a smaller transformer from a larger pretrained one by weight subcloning, then train it.")
        {
            new System.CommandLine.Help.HelpOption(), new VersionOption(),
        };
        root.Options.Add(io.AllowNan);
        root.Subcommands.Add(DemoCommand.Create(io));
        root.Subcommands.Add(InfoCommand.Create(io));
        root.Subcommands.Add(GenerateCommand.Create(io));
        root.Subcommands.Add(EmbedCommand.Create(io));
        root.Subcommands.Add(ImportCommand.Create(io));
        root.Subcommands.Add(RankCommand.Create(io));
        root.Subcommands.Add(CloneCommand.Create(io));
        root.Subcommands.Add(CompareCommand.Create(io));
        root.Subcommands.Add(SearchCommand.Create(io));
        root.Subcommands.Add(TrainCommand.Create(io));
        root.Subcommands.Add(EvalCommand.Create(io));
        root.Subcommands.Add(InitCommand.Create(io));
        root.Subcommands.Add(TokenizeCommand.Create(io));
        root.Subcommands.Add(ExportCommand.Create(io));
        OptionRules.AttachTo(root);
        OutputGuard.AttachTo(root);
        return root;
    }

    /// <summary>The parse error to report: System.CommandLine says "Required command was not provided." for an unknown
    /// command too, which names neither the word typed nor the commands there are.</summary>
    static string Describe(ParseResult parse, Command root, string[] args)
    {
        string commands = string.Join(", ", root.Subcommands.Select(c => c.Name));
        if (parse.CommandResult.Command == root)
        {
            string? first = args.FirstOrDefault(a => !a.StartsWith('-'));
            return first is null ? $"give a command: {commands}" : $"unknown command '{first}' (commands: {commands})";
        }
        return parse.Errors[0].Message;
    }
}
