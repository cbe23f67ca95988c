using System.CommandLine;
using System.CommandLine.Parsing;

namespace Subclone.Cli;

/// <summary>
/// Checks --out of every command that writes, while parsing and so before any work, with <see cref="OutputPath"/>:
/// it must not be, contain or lie inside any input (the command's arguments and its file options), must not be an
/// existing file where a directory is written (or the reverse), and may exist only with --force (or --resume).
/// Attached to the whole command tree like <see cref="OptionRules"/>, so a new command that writes --out is guarded
/// without doing anything.
/// </summary>
public static class OutputGuard
{
    /// <summary>Options that name something a command reads.</summary>
    public static readonly string[] InputOptions = ["--config", "--map", "--tokenizer", "--data", "--calib", "--val-data", "--distill"];

    /// <summary>Commands whose --out is a file, each with the extension of the file written beside it (rank: the heat map).</summary>
    public static readonly IReadOnlyDictionary<string, string> FileOutputs = new Dictionary<string, string> { ["rank"] = ".png" };

    /// <summary>Attaches the check to every command under <paramref name="root"/> that has an --out option.</summary>
    public static void AttachTo(Command root)
    {
        foreach (var command in root.Subcommands)
        {
            if (command.Options.FirstOrDefault(o => o.Name == "--out") is Option output)
                command.Validators.Add(result => Check(result, command, output));
            AttachTo(command);
        }
    }

    static void Check(CommandResult result, Command command, Option output)
    {
        if (result.Errors.Any()) return;  // one problem at a time: the value's own error first
        if (result.GetValue<string>(output.Name) is not string path) return;
        var inputs = command.Arguments.SelectMany(a => Values(result.GetResult(a)))
            .Concat(command.Options.Where(o => InputOptions.Contains(o.Name)).SelectMany(o => Values(result.GetResult(o))))
            .ToList();
        try
        {
            bool replace = Given(result, "--force") || Given(result, "--resume");
            if (FileOutputs.TryGetValue(command.Name, out string? beside))
            {
                string full = OutputPath.File(path, inputs, replace);
                string sibling = Path.ChangeExtension(full, beside);
                if (sibling == full) throw new UserInputException($"--out {path}: the {beside} file is written beside it; give another extension");
                OutputPath.File(sibling, inputs, replace, $"--out {path}: its {beside} file");
            }
            else
            {
                OutputPath.Directory(path, inputs, replace, replaceHint: command.Options.Any(o => o.Name == "--resume")
                    ? "pass --resume to continue its run, or --force to replace it" : "pass --force to replace it");
            }
        }
        catch (UserInputException e)
        {
            result.AddError(e.Message);
        }
    }

    static IEnumerable<string> Values(SymbolResult? result) => result?.Tokens.Select(t => t.Value) ?? [];

    static bool Given(CommandResult result, string name) =>
        result.Children.OfType<OptionResult>().Any(o => o.Option.Name == name && !o.Implicit && o.GetValueOrDefault<bool>());
}
