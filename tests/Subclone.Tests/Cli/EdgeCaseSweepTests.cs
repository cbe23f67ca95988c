using System.CommandLine;
using System.Security.Cryptography;
using Subclone.Checkpoints.Hub;
using Subclone.Cli;
using Subclone.Tests.Support;
using Xunit.Abstractions;

namespace Subclone.Tests.Cli;

/// <summary>The sweep changes the process's working directory (relative values such as "abc" must land somewhere it watches), so it runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SweepCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "edge-case sweep";
}

/// <summary>
/// Issue 11's sweep: every option and argument of every command, taken from the command tree itself
/// (<see cref="Program.BuildRoot"/>, as <see cref="HelpTests"/> reads it), is given each of its edge values (0, negative,
/// huge, NaN, empty, malformed lists, a missing file, a folder where a file is expected and the reverse, a file of the
/// wrong family or format, an output equal to or inside an input, an existing file as output) on top of a small valid
/// command line. Each run must exit 0 or 2; a refusal is exactly one line naming the option or the file; no run prints a
/// stack trace, leaves anything behind when refused, leaves a temporary file, or changes an input. A new option is
/// swept without touching this file.
/// </summary>
[Collection(SweepCollection.Name)]
public class EdgeCaseSweepTests(ITestOutputHelper output)
{
    /// <summary>A run that is still going after this long was accepted and is interrupted (Ctrl+C): a huge --steps is a valid request.</summary>
    static readonly TimeSpan Budget = TimeSpan.FromSeconds(8);

    /// <summary>The edge values of a number.</summary>
    static readonly string[] Integers = ["0", "-1", "2147483647", "99999999999", "abc", ""];
    static readonly string[] Reals = ["0", "-1", "NaN", "Infinity", "1e308", "abc", ""];

    /// <summary>Edge values of a string option or argument; {…} are files and folders the sweep makes.</summary>
    static readonly string[] Strings =
        ["", "abc", "-1", "0", "1,,2", ",", "99999999999", "{missing}", "{folder}", "{binary}", "{text}", "{wrong-family}"];

    /// <summary>Extra edge values of --out: an input itself, inside it, around it, an existing file, an existing folder of the user's.</summary>
    static readonly string[] Outputs = ["{input}", "{inside-input}", "{around-input}", "{existing-file}", "{user-folder}", "/proc/x"];

    public static TheoryData<string> CommandNames() =>
        [.. Program.BuildRoot(new CliIo(TextWriter.Null, TextWriter.Null)).Subcommands.Select(c => c.Name)];

    /// <summary>A small valid command line per command, on copies of tiny fixtures in the work folder; {work} is that folder.</summary>
    static string[] Base(string command) => command switch
    {
        "info" => ["{work}/gpt2-tiny"],
        "generate" => ["{work}/gpt2-tiny", "--prompt-ids", "1,2", "--max-new-tokens", "2"],
        "embed" => ["minilm", "--text", "a short sentence"],
        "import" => ["{work}/stories260K/stories260K.bin", "--out", "{work}/imported"],
        "rank" => ["{work}/hf-tiny-random-gpt2", "--calib", "{work}/text/stories.txt", "--calib-samples", "2", "--calib-length", "8",
            "--out", "{work}/scores.json"],
        "clone" => ["{work}/gpt2-tiny", "--out", "{work}/child", "--ratio", "0.5", "--calib-random-ids", "2x8"],
        "compare" => ["{work}/hf-tiny-random-gpt2", "--out", "{work}/compared", "--ratio", "0.5", "--data", "{work}/text/stories.txt",
            "--inits", "first,random", "--steps", "1", "--batch", "2", "--seq", "8", "--eval-every", "1", "--eval-batches", "1",
            "--cache", "{work}/cache"],
        "search" => ["{work}/hf-tiny-random-gpt2", "--out", "{work}/searched", "--params", "80k", "--data", "{work}/text/stories.txt",
            "--candidates", "2", "--top", "1", "--probe-steps", "1", "--lr-grid", "1e-3", "--batch", "2", "--seq", "8", "--eval-batches", "1",
            "--cache", "{work}/cache"],
        "train" => ["--config", "{work}/tiny/config.json", "--data", "{work}/text/stories.txt", "--out", "{work}/run", "--steps", "1",
            "--batch", "2", "--seq", "8", "--eval-every", "1", "--eval-batches", "1", "--cache", "{work}/cache"],
        "eval" => ["{work}/hf-tiny-random-gpt2", "--data", "{work}/text/stories.txt", "--batch", "2", "--seq", "8", "--eval-batches", "1",
            "--cache", "{work}/cache"],
        "init" => ["--config", "{work}/gpt2-tiny/config.json", "--out", "{work}/initialised"],
        "demo" => ["--out", "{work}/demo"],
        "tokenize" => ["{work}/hf-tiny-random-gpt2", "--text", "a short text"],
        "export" => ["{work}/hf-tiny-random-gpt2", "--gguf", "{work}/exported.gguf"],
        _ => throw new InvalidOperationException($"the sweep has no base command line for '{command}': add one"),
    };

    /// <summary>
    /// Commands whose accepted runs take minutes whatever the options (demo subclones MiniLM): only the values that must be
    /// refused are run, an --out that exists or cannot be written.
    /// </summary>
    static readonly Dictionary<string, HashSet<string>> RefusalsOnly = new()
    {
        ["demo"] = ["", "{folder}", "{binary}", "{text}", "{wrong-family}", "{input}", "{around-input}", "{existing-file}", "{user-folder}", "/proc/x"],
    };

    /// <summary>A run past this is a hang: the interrupt at <see cref="Budget"/> was not honoured.</summary>
    static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(90);

    sealed record Case(string Symbol, string Value, string Filled, string[] Args);

    [SharedTheory]
    [MemberData(nameof(CommandNames))]
    public void Every_option_at_its_edges_exits_0_or_2_with_one_line_and_leaves_nothing(string name)
    {
        using var work = new TempDir();
        var inputs = MakeInputs(work);
        var command = Program.BuildRoot(new CliIo(TextWriter.Null, TextWriter.Null)).Subcommands.Single(c => c.Name == name);
        var cases = Cases(command, Base(name), work)
            .Where(c => !RefusalsOnly.TryGetValue(name, out var only) || (c.Symbol == "--out" && only.Contains(c.Value)))
            .ToList();
        var failures = new List<string>();
        var hub = new HubSettings { CacheDirectory = work["hub-cache"], Offline = true };
        var initial = Snapshot(work.Path);
        string cwd = Environment.CurrentDirectory;
        int accepted = 0, refused = 0, interrupted = 0;
        try
        {
            Environment.CurrentDirectory = work.Path;
            foreach (var c in cases)
            {
                var (code, stdout, error, stopped) = RunCase(c, hub);
                string described = $"{name} {c.Symbol} '{c.Value}' (exit {code}): ";
                var lines = error.TrimEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (error.Contains("   at ") || stdout.Contains("   at ")) failures.Add(described + "stack trace: " + error.Split('\n')[0]);
                if (code == CliIo.UserError)
                {
                    refused++;
                    if (lines.Length != 1 || !lines[0].StartsWith("subclone: error:")) failures.Add(described + $"{lines.Length} lines: {error.Trim()}");
                    else if (!Names(lines[0], c)) failures.Add(described + "does not name the option or file: " + lines[0]);
                    if (Changes(initial, Snapshot(work.Path)) is string left) failures.Add(described + "left behind " + left);
                }
                else if (code == CliIo.Interrupted && stopped) interrupted++;
                else if (code == 0)
                {
                    accepted++;
                    if (lines.Any(l => l.StartsWith("subclone: error"))) failures.Add(described + "exit 0 with an error line");
                }
                else failures.Add(described + (error.Trim() is { Length: > 0 } e ? e.Split('\n')[0] : "no message"));
                if (Temporaries(work.Path) is string temp) failures.Add(described + "left a temporary " + temp);
                if (ChangedInputs(inputs) is string changed)
                {
                    failures.Add(described + "changed the input " + changed);
                    Directory.Delete(work.Path, recursive: true);
                    Directory.CreateDirectory(work.Path);
                    inputs = MakeInputs(work);
                }
                Restore(work.Path, initial);
            }
        }
        finally { Environment.CurrentDirectory = cwd; }
        output.WriteLine($"{name}: {cases.Count} cases: {accepted} accepted, {refused} refused, {interrupted} interrupted after {Budget.TotalSeconds:F0} s");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} '{name}' cases broke the promise:\n" + string.Join("\n", failures));
    }

    /// <summary>Every number option states its range in <see cref="OptionRules"/> (any long is a seed), so a new one cannot
    /// reach a command unchecked; the sweep then tries its edges.</summary>
    [Fact]
    public void Every_numeric_option_has_a_rule()
    {
        var root = Program.BuildRoot(new CliIo(TextWriter.Null, TextWriter.Null));
        Type[] numeric = [typeof(int), typeof(long), typeof(double), typeof(int?), typeof(long?), typeof(double?)];
        var unruled = root.Subcommands.SelectMany(c => c.Options.Select(o => (Command: c.Name, Option: o)))
            .Where(x => numeric.Contains(x.Option.ValueType) && x.Option.Name != "--seed" && !OptionRules.ByName.ContainsKey(x.Option.Name))
            .Select(x => $"{x.Command} {x.Option.Name}").ToList();
        Assert.True(unruled.Count == 0, "numeric options without a rule in OptionRules: " + string.Join(", ", unruled));
    }

    /// <summary>Runs one case in-process, interrupted (as by Ctrl+C) once <see cref="Budget"/> has passed.</summary>
    static (int Code, string Out, string Error, bool Interrupted) RunCase(Case c, HubSettings hub)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var budget = new CancellationTokenSource(Budget);
        // A thread of its own, as a process of its own would have: torch keeps per-thread state (grad mode, dispose scopes).
        int code = -1;
        var thread = new Thread(() =>
        {
            try { code = Program.Run(c.Args, stdout, stderr, hub, budget.Token, progress: false); }
            catch (Exception e) { stderr.WriteLine(e.ToString()); }
        }) { IsBackground = true };
        thread.Start();
        if (!thread.Join(HangLimit)) return (-2, "", $"still running {HangLimit.TotalSeconds:F0} s after being asked to stop at {Budget.TotalSeconds:F0} s", true);
        return (code, stdout.ToString(), stderr.ToString(), budget.IsCancellationRequested);
    }

    /// <summary>Each option and argument of <paramref name="command"/> with each of its edge values, set on the base line.</summary>
    static IEnumerable<Case> Cases(Command command, string[] baseLine, TempDir work)
    {
        string[] Expand(IEnumerable<string> args) => [command.Name, .. args.Select(a => Fill(a, work))];
        var arguments = command.Arguments.ToList();
        for (int i = 0; i < arguments.Count; i++)
            foreach (string value in Strings)
            {
                var args = baseLine.ToList();
                if (i < args.Count && !args[i].StartsWith("--")) args[i] = value; else args.Insert(0, value);
                yield return new Case($"<{arguments[i].Name}>", value, Fill(value, work), Expand(args));
            }
        foreach (var option in command.Options.Where(o => !o.Hidden && o.Name is not ("--help" or "--version")).Append(RootAllowNan()))
        {
            string[] values = option.ValueType == typeof(bool) ? ["{flag}"]
                : Nullable.GetUnderlyingType(option.ValueType) is Type inner ? ValuesOf(inner, option.Name)
                : ValuesOf(option.ValueType, option.Name);
            foreach (string value in values)
            {
                var args = Without(baseLine, option);
                if (value == "{flag}") args.Add(option.Name); else args.AddRange([option.Name, value]);
                yield return new Case(option.Name, value, Fill(value, work), Expand(args));
            }
        }
    }

    static Option RootAllowNan() => new Option<bool>("--allow-nan");

    static string[] ValuesOf(Type type, string name) =>
        type == typeof(int) || type == typeof(long) ? Integers
        : type == typeof(double) ? Reals
        : name == "--out" ? [.. Strings, .. Outputs]
        : Strings;

    /// <summary>The base line without <paramref name="option"/> and its values, so the swept value replaces it.</summary>
    static List<string> Without(string[] baseLine, Option option)
    {
        var args = new List<string>();
        for (int i = 0; i < baseLine.Length; i++)
        {
            if (baseLine[i] != option.Name) { args.Add(baseLine[i]); continue; }
            while (i + 1 < baseLine.Length && !baseLine[i + 1].StartsWith("--")) i++;
        }
        return args;
    }

    /// <summary>Whether a refusal names what it refuses: the option (with or without its dashes), the value, or a file the line quotes.</summary>
    static bool Names(string line, Case c)
    {
        string bare = c.Symbol.Trim('<', '>').TrimStart('-');
        if (line.Contains(c.Symbol) || line.Contains(bare, StringComparison.OrdinalIgnoreCase)) return true;
        if (c.Filled.Length >= 2 && line.Contains(c.Filled)) return true;
        if (c.Filled.Length > 0 && (line.StartsWith($"subclone: error: {c.Filled}:") || line.Contains($"'{c.Filled}'"))) return true;
        // Another option on the same line may be the one at fault (random ids given a parent that is an image model).
        if (c.Args.Any(a => a.StartsWith("--") && line.Contains(a))) return true;
        // A path the line names (the file at fault, e.g. a folder given where a file is expected).
        return line.Split(' ', ':', '\'').Any(word => word.StartsWith('/') && word.Length > 1 && Path.Exists(word.TrimEnd(',', ';', ')')));
    }

    static string Fill(string arg, TempDir work) => arg switch
    {
        "{missing}" => work["missing.txt"],
        "{folder}" => work["empty-folder"],
        "{binary}" => work["random.bin"],
        "{text}" => work["text/notes.txt"],
        "{wrong-family}" => work["vit-tiny"],
        "{input}" => work["gpt2-tiny"],
        "{inside-input}" => work["gpt2-tiny/out"],
        "{around-input}" => work.Path,
        "{existing-file}" => work["text/notes.txt"],
        "{user-folder}" => work["user-folder"],
        _ => arg.Replace("{work}", work.Path),
    };

    /// <summary>Copies of the tiny fixtures and the files the edge values name; returns the inputs with their hashes.</summary>
    static Dictionary<string, string> MakeInputs(TempDir work)
    {
        foreach (string fixture in new[] { "gpt2-tiny", "hf-tiny-random-gpt2", "vit-tiny" }) Copy(SharedData.Fixture(fixture), work[fixture]);
        Directory.CreateDirectory(work["stories260K"]);
        File.Copy(SharedData.Data("stories260K/stories260K.bin"), work["stories260K/stories260K.bin"]);
        File.Copy(SharedData.Data("stories260K/tok512.model"), work["stories260K/tok512.model"]);
        Directory.CreateDirectory(work["text"]);
        Training.TrainingTestKit.WriteStories(work["text/stories.txt"], 60);
        File.WriteAllText(work["text/notes.txt"], "remember the milk\n");
        Training.TrainingTestKit.WriteByteTokenizer(work["tiny"]);
        File.WriteAllText(work["tiny/config.json"], Training.TrainingTestKit.Gpt2Config(positions: 32).ToJsonString());
        Directory.CreateDirectory(work["empty-folder"]);
        Directory.CreateDirectory(work["user-folder"]);
        File.WriteAllText(work["user-folder/mine.txt"], "the user's own file");
        var bytes = new byte[4096];
        new Random(11).NextBytes(bytes);
        File.WriteAllBytes(work["random.bin"], bytes);
        return Directory.GetFiles(work.Path, "*", SearchOption.AllDirectories).ToDictionary(f => f, Hash);
    }

    static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));

    static HashSet<string> Snapshot(string root) =>
        [.. Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p))];

    /// <summary>The first entry added or removed, ignoring the token cache: tokenised text is kept for the next run by design.</summary>
    static string? Changes(HashSet<string> before, HashSet<string> after) =>
        after.Except(before).Concat(before.Except(after)).Where(e => !IsCache(e)).Order().FirstOrDefault();

    static bool IsCache(string entry) => entry == "cache" || entry.StartsWith("cache" + Path.DirectorySeparatorChar);

    static string? Temporaries(string root) =>
        Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories).FirstOrDefault(p => Path.GetFileName(p).Contains(".tmp-"));

    static string? ChangedInputs(Dictionary<string, string> inputs) =>
        inputs.FirstOrDefault(kv => !File.Exists(kv.Key) || Hash(kv.Key) != kv.Value).Key;

    /// <summary>Removes what a case wrote (outputs of accepted runs), so every case starts from the same folder.</summary>
    static void Restore(string root, HashSet<string> initial)
    {
        foreach (string entry in Snapshot(root).Except(initial).OrderByDescending(e => e.Length))
        {
            string full = Path.Combine(root, entry);
            if (Directory.Exists(full)) Directory.Delete(full, recursive: true);
            else if (File.Exists(full)) File.Delete(full);
        }
    }
}
