using System.CommandLine;
using System.Reflection;
using System.Text.RegularExpressions;
using Subclone.Cli;
using Subclone.Tests.Support;

namespace Subclone.Tests.Cli;

/// <summary>
/// --help is the CLI's reference: every command, argument and option says what it is. Commands are found in the CLI
/// assembly (every Commands.*.Create(CliIo)), so a new command, option or argument without a description fails here,
/// as does a command the root help or the README's command table does not list.
/// </summary>
public partial class HelpTests
{
    /// <summary>Every command class: a static Create(CliIo) returning a <see cref="Command"/>.</summary>
    static List<Command> AllCommands() =>
        [.. typeof(CliIo).Assembly.GetTypes()
            .Where(t => t.Namespace == "Subclone.Cli.Commands")
            .Select(t => t.GetMethod("Create", BindingFlags.Public | BindingFlags.Static, [typeof(CliIo)]))
            .Where(m => m is not null && typeof(Command).IsAssignableFrom(m.ReturnType))
            .Select(m => (Command)m!.Invoke(null, [new CliIo(TextWriter.Null, TextWriter.Null)])!)];

    public static TheoryData<string> CommandNames() => [.. AllCommands().Select(c => c.Name)];

    /// <summary>A help row: two spaces, the first column (single spaces inside), then ≥ 2 spaces and its description.</summary>
    [GeneratedRegex(@"^  (?<name>\S(?:\S| (?! ))*)(?:\s{2,}(?<description>\S.*))?$")]
    private static partial Regex Row();

    /// <summary>The rows of a help section ("Options:", "Arguments:", "Commands:"): first column → description.</summary>
    static List<(string Name, string Description)> Section(string help, string title)
    {
        var rows = new List<(string, string)>();
        bool inside = false;
        foreach (var line in help.Split('\n').Select(l => l.TrimEnd('\r', ' ')))
        {
            if (line == title) { inside = true; continue; }
            if (!inside) continue;
            if (line.Length == 0 || !line.StartsWith(' ')) break;
            if (Row().Match(line) is { Success: true } m) rows.Add((m.Groups["name"].Value, m.Groups["description"].Value));
        }
        return rows;
    }

    static string Help(params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 0, $"subclone {string.Join(' ', args)} exited {result.ExitCode}: {result.Error}");
        Assert.Equal("", result.Error);
        return result.Out;
    }

    static string DescriptionOf(string help)
    {
        var lines = help.Split('\n').Select(l => l.TrimEnd('\r'));
        return string.Join(" ", lines.SkipWhile(l => l != "Description:").Skip(1).TakeWhile(l => l.StartsWith("  ")).Select(l => l.Trim()));
    }

    [Fact]
    public void Root_help_lists_every_command_with_a_description()
    {
        string help = Help("--help");
        Assert.NotEmpty(DescriptionOf(help));
        Assert.Contains("  subclone [command] [options]", help);  // the command users type, not the assembly's name
        var listed = Section(help, "Commands:");
        Assert.All(listed, row => Assert.False(string.IsNullOrWhiteSpace(row.Description), $"command '{row.Name}' has no description"));
        Assert.Equal(AllCommands().Select(c => c.Name).Order(), listed.Select(row => row.Name.Split(' ')[0]).Order());
        Assert.All(Section(help, "Options:"), row => Assert.False(string.IsNullOrWhiteSpace(row.Description), $"root option '{row.Name}' has no description"));
    }

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void Every_argument_and_option_of_a_command_is_described(string name)
    {
        var command = AllCommands().Single(c => c.Name == name);
        Assert.False(string.IsNullOrWhiteSpace(command.Description), $"{name} has no description");
        foreach (var argument in command.Arguments.Where(a => !a.Hidden))
            Assert.False(string.IsNullOrWhiteSpace(argument.Description), $"{name}'s argument {argument.Name} has no description");
        foreach (var option in command.Options.Where(o => !o.Hidden))
            Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{name}'s option {option.Name} has no description");

        // What the user sees: the help text has every argument and option, each row with its description.
        string help = Help(name, "--help");
        Assert.Equal(command.Description, DescriptionOf(help));
        var arguments = Section(help, "Arguments:");
        var options = Section(help, "Options:");
        Assert.All(arguments.Concat(options), row => Assert.False(string.IsNullOrWhiteSpace(row.Description), $"{name} --help: '{row.Name}' has no description"));
        foreach (var argument in command.Arguments.Where(a => !a.Hidden))
            Assert.Contains(arguments, row => row.Name == $"<{argument.Name}>");
        foreach (var option in command.Options.Where(o => !o.Hidden))
            Assert.Contains(options, row => row.Name.Split(", ").Any(alias => alias.Split(' ')[0] == option.Name));
        Assert.Contains(options, row => row.Name.StartsWith("--allow-nan"));  // the root's recursive option reaches every command
        Assert.Empty(command.Subcommands);  // nested commands would need their own walk here
    }

    [Fact]
    public void The_README_command_table_has_every_command()
    {
        var readme = File.ReadAllLines(Path.Combine(SharedData.RepoRoot, "README.md"));
        var documented = readme.Where(l => l.StartsWith("| `subclone ")).Select(l => l["| `subclone ".Length..].Split(' ', '`')[0]).ToHashSet();
        foreach (var command in AllCommands())
            Assert.True(documented.Contains(command.Name), $"README's command table has no row for `subclone {command.Name}`");
    }
}
