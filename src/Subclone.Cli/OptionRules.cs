using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Subclone.Cli;

/// <summary>
/// What each option may hold, checked while the command line is parsed: a bad value is one line naming the option,
/// exit code 2, before any work. The rules are keyed by option name and attached to every command that has the
/// option (<see cref="AttachTo"/>), so an option shared by clone, compare, train and eval means the same everywhere,
/// commands attach nothing themselves, and the edge-case sweep can check that every numeric option has a rule.
/// Bounds that depend on a model or on the data (positions, the parent's widths, the split's size) are checked where
/// those are known; these are the ones the value alone decides.
/// </summary>
public static class OptionRules
{
    /// <summary>Above this, a batch, window or count is a typo, not a request (and products of them would overflow an int).</summary>
    public const int MaxCount = 1 << 20;

    /// <summary>A child deeper than this many blocks is refused before planning (deeper children duplicate blocks).</summary>
    public const int MaxLayers = 4096;

    /// <summary>The dtype names the help gives, with the long names they abbreviate.</summary>
    public static readonly string[] DtypeNames = ["f32", "f16", "bf16", "float32", "float16", "bfloat16"];

    /// <summary>A rule: the option's value as typed → the problem with it, or null when it is fine.</summary>
    public delegate string? Rule(string value);

    /// <summary>Where one command gives an option more values than the others: export also writes GGUF's q8_0.</summary>
    public static IReadOnlyDictionary<(string Command, string Option), Rule> ByCommand { get; } = new Dictionary<(string, string), Rule>
    {
        [("export", "--dtype")] = OneOf([.. DtypeNames, "q8_0"]),
    };

    /// <summary>Every option name with a rule, and the rule.</summary>
    public static IReadOnlyDictionary<string, Rule> ByName { get; } = new Dictionary<string, Rule>
    {
        // Shapes of a child (the parent's widths bound them further in CloneTarget).
        ["--hidden"] = Count(1, MaxCount), ["--heads"] = Count(1, MaxCount), ["--kv-heads"] = Count(1, MaxCount),
        ["--ffn"] = Count(1, MaxCount), ["--layers"] = Count(1, MaxLayers),
        ["--experts"] = Count(1, MaxCount), ["--expert-ffn"] = Count(1, MaxCount),
        ["--ratio"] = Real(0, exclusiveMin: true, max: 1), ["--params"] = ParameterCount,
        ["--keep-layers"] = IdList("a layer index"),
        ["--select"] = OneOf("importance", "first", "random", "uniform"), ["--depth"] = OneOf("middle", "influence", "first"),
        ["--dtype"] = OneOf(DtypeNames), ["--shard-size"] = ByteSizeRule,

        // Calibration: one window needs two tokens (an input and the next one) for a loss or an importance to exist.
        ["--calib-samples"] = Count(1, MaxCount), ["--calib-length"] = Count(2, MaxCount), ["--calib-random-ids"] = RandomIdShape,

        // Training and evaluation.
        ["--steps"] = Count(1, int.MaxValue), ["--batch"] = Count(1, 65536), ["--seq"] = Count(1, MaxCount),
        ["--eval-every"] = Count(0, int.MaxValue), ["--eval-batches"] = Count(1, MaxCount), ["--save-every"] = Count(0, int.MaxValue),
        ["--warmup"] = Count(0, int.MaxValue), ["--grad-accum"] = Count(1, 65536), ["--crop-padding"] = Count(0, 4096),
        // AdamW's rates and decays: above 10 a run only diverges (and a float32 optimizer cannot even hold 1e308).
        ["--lr"] = Real(0, exclusiveMin: true, max: 10), ["--min-lr"] = Real(0, max: 10), ["--wd"] = Real(0, max: 10), ["--clip"] = Real(0),
        ["--distill-temperature"] = Real(0, exclusiveMin: true, max: 1000), ["--distill-weight"] = Real(0, max: 1000),
        ["--subclone-lr"] = Real(0, exclusiveMin: true, max: 10), ["--random-lr"] = Real(0, exclusiveMin: true, max: 10),
        ["--subclone-wd"] = Real(0, max: 10), ["--random-wd"] = Real(0, max: 10),
        ["--inits"] = NameList("subclone", "subclone+distill", "subclone-noscale", "uniform", "first", "random"),
        // compare's sweeps: lists are parsed (and refused by name) by ComparisonSweep; a seed count is a small number.
        ["--seeds"] = Count(1, 100), ["--lr-grid"] = NonEmpty, ["--wd-grid"] = NonEmpty, ["--budgets"] = NonEmpty,
        // search: the budget as FLOPs per token, how many shapes are scored at init, how many are probed and for how long.
        ["--flops"] = FlopCount, ["--candidates"] = Count(1, 10000), ["--top"] = Count(1, 1000), ["--probe-steps"] = Count(1, int.MaxValue),

        // Generation.
        ["--max-new-tokens"] = Count(0, MaxCount), ["--max-context"] = Count(1, int.MaxValue), ["--temperature"] = Real(0), ["--top-k"] = Count(0, int.MaxValue),
        ["--prompt-ids"] = IdList("a token id"),

        // Paths: an empty one is never meant (and the file system's own message names no option).
        ["--out"] = NonEmpty, ["--gguf"] = NonEmpty, ["--config"] = ExistingFile, ["--map"] = ExistingFile, ["--tokenizer"] = NonEmpty, ["--cache"] = Folder,
        ["--val-data"] = NonEmpty, ["--distill"] = NonEmpty, ["--data"] = NonEmpty, ["--calib"] = NonEmpty,
    };

    /// <summary>Options a command refuses together, because one would silently win over the other.</summary>
    public static IReadOnlyList<(string First, string Second, string Why)> Exclusive { get; } =
    [
        ("--prompt", "--prompt-ids", "give the prompt as text or as ids"),
        ("--layers", "--keep-layers", "--keep-layers sets the depth"),
        ("--calib", "--calib-random-ids", "calibrate on text or on random ids"),
        ("--map", "--ratio", "a map fixes the child's shape"), ("--map", "--params", "a map fixes the child's shape"),
        ("--map", "--hidden", "a map fixes the child's shape"), ("--map", "--layers", "a map fixes the child's shape"),
        ("--map", "--heads", "a map fixes the child's shape"), ("--map", "--kv-heads", "a map fixes the child's shape"),
        ("--map", "--ffn", "a map fixes the child's shape"), ("--map", "--keep-layers", "a map fixes the child's blocks"),
        ("--map", "--select", "a map fixes the selection"), ("--map", "--depth", "a map fixes the blocks"),
        ("--map", "--no-scale", "a map records whether it scales"), ("--map", "--random-init", "a map replays a cut"),
        ("--map", "--calib", "a map needs no calibration"), ("--map", "--calib-random-ids", "a map needs no calibration"),
        ("--ratio", "--params", "both set every width"), ("--params", "--flops", "give the budget one way"), ("--ratio", "--hidden", "--ratio sets every width"),
        ("--ratio", "--heads", "--ratio sets every width"), ("--ratio", "--kv-heads", "--ratio sets every width"),
        ("--ratio", "--ffn", "--ratio sets every width"), ("--params", "--hidden", "--params sets every width"),
        ("--params", "--heads", "--params sets every width"), ("--params", "--kv-heads", "--params sets every width"),
        ("--params", "--ffn", "--params sets every width"),
        ("--greedy", "--temperature", "--greedy ignores the temperature"), ("--greedy", "--top-k", "--greedy ignores --top-k"),
    ];

    /// <summary>Attaches the rules to <paramref name="command"/> and every command under it.</summary>
    public static void AttachTo(Command command)
    {
        foreach (var option in command.Options)
            if (ByCommand.TryGetValue((command.Name, option.Name), out var rule) || ByName.TryGetValue(option.Name, out rule))
                option.Validators.Add(result => Check(result, option.Name, rule));
        var names = command.Options.Select(o => o.Name).ToHashSet();
        foreach (var (first, second, why) in Exclusive.Where(e => names.Contains(e.First) && names.Contains(e.Second)))
            command.Validators.Add(result =>
            {
                if (Given(result, first) && Given(result, second)) result.AddError($"give {first} or {second}, not both ({why})");
            });
        foreach (var argument in command.Arguments)
            argument.Validators.Add(result =>
            {
                if (result.Tokens.Any(t => t.Value.Trim().Length == 0)) result.AddError($"{argument.Name}: an empty argument");
            });
        foreach (var sub in command.Subcommands) AttachTo(sub);
    }

    static bool Given(CommandResult result, string name) =>
        result.Children.OfType<OptionResult>().Any(o => o.Option.Name == name && !o.Implicit);

    static void Check(OptionResult result, string name, Rule rule)
    {
        if (result.Implicit) return;  // a default is the command's own choice
        if (result.Tokens.Count == 0 && rule("") is string emptyProblem) { result.AddError($"{name}: {emptyProblem}"); return; }
        foreach (var token in result.Tokens)
            if (rule(token.Value) is string problem)
            {
                result.AddError($"{name} {Quote(token.Value)}: {problem}");
                return;
            }
    }

    static string Quote(string value) => value.Length == 0 || value.Any(char.IsWhiteSpace) ? $"'{value}'" : value;

    /// <summary>An integer in [min, max].</summary>
    public static Rule Count(long min, long max) => text =>
    {
        if (!long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)) return "not a whole number";
        if (v < min) return min == 0 ? "must not be negative" : min == 1 ? "must be positive" : $"must be at least {min}";
        return v > max ? $"must be at most {max.ToString("N0", CultureInfo.InvariantCulture)}" : null;
    };

    /// <summary>A finite number ≥ min (or &gt; min), at most max (by default the largest float32: these values reach torch as floats).</summary>
    public static Rule Real(double min, bool exclusiveMin = false, double max = float.MaxValue) => text =>
    {
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return "not a number";
        if (!double.IsFinite(v)) return "must be a finite number";
        if (exclusiveMin ? v <= min : v < min) return min == 0 ? (exclusiveMin ? "must be positive" : "must not be negative") : $"must be above {min}";
        return v > max ? $"must be at most {max.ToString("G3", CultureInfo.InvariantCulture)}" : null;
    };

    /// <summary>Comma-separated non-negative integers, none missing (1,,2 is a typo, not two ids).</summary>
    public static Rule IdList(string what) => text =>
    {
        var parts = text.Split(',');
        if (text.Trim().Length == 0) return $"expected comma-separated numbers, each {what}";
        foreach (var part in parts)
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                return part.Trim().Length == 0 ? "has an empty entry" : $"'{part.Trim()}' is not {what}";
        return null;
    };

    /// <summary>One of <paramref name="names"/>.</summary>
    public static Rule OneOf(params string[] names) => text =>
        names.Contains(text) ? null : $"expected {string.Join(", ", names[..^1])} or {names[^1]}";

    /// <summary>Comma-separated names, each one of <paramref name="names"/>, at least one.</summary>
    public static Rule NameList(params string[] names) => text =>
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0)) return "has an empty entry";
        return parts.FirstOrDefault(p => !names.Contains(p)) is string bad ? $"'{bad}' is not one of {string.Join(", ", names)}" : null;
    };

    /// <summary>N×T (also NxT): N windows of T ≥ 2 random token ids.</summary>
    public static string? RandomIdShape(string text)
    {
        var parts = text.Split('x', '×', 'X');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int t))
            return "expected N×T, e.g. 8x128";
        if (n < 1 || n > MaxCount) return $"N must be between 1 and {MaxCount}";
        return t < 2 || t > MaxCount ? $"T must be between 2 (an input and its next token) and {MaxCount}" : null;
    }

    /// <summary>N and T of a --calib-random-ids value the rule accepted.</summary>
    public static (int N, int T) RandomIds(string text)
    {
        if (RandomIdShape(text) is string problem) throw new UserInputException($"--calib-random-ids {text}: {problem}");
        var parts = text.Split('x', '×', 'X');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    static string? ByteSizeRule(string text)
    {
        try { ByteSize.Parse(text, "--shard-size"); return null; }
        catch (UserInputException) { return "not a size (e.g. 5GB, 500MB, 2GiB)"; }
    }

    static string? ParameterCount(string text)
    {
        if (text.Trim().Length == 0) return "not a parameter count (e.g. 40M)";
        try { Subclone.Cloning.CloneTarget.ParseCount(text); return null; }
        catch (UserInputException) { return "not a parameter count (e.g. 40M)"; }
    }

    static string? FlopCount(string text)
    {
        if (text.Trim().Length == 0) return "not a FLOP count (e.g. 2G, 500M)";
        try { Subclone.Cloning.CloneTarget.ParseCount(text); return null; }
        catch (UserInputException) { return "not a FLOP count (e.g. 2G, 500M)"; }
    }

    static string? NonEmpty(string text) => text.Trim().Length == 0 ? "an empty path" : null;

    /// <summary>A folder to create or reuse: not an existing file.</summary>
    static string? Folder(string text) => NonEmpty(text) ?? (File.Exists(text) ? "is a file; give a directory" : null);

    /// <summary>A file that exists: a JSON file option (--config, --map) given a folder or nothing at all is refused by name.</summary>
    static string? ExistingFile(string text) =>
        NonEmpty(text) ?? (Directory.Exists(text) ? "is a directory; give the file" : File.Exists(text) ? null : "no such file");
}
