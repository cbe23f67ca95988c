using Subclone.Tests.Support;

namespace Subclone.Tests.Cli.Defects;

/// <summary>
/// Issue 11, items 6, 7, 9, 11, 13, 16 and 17: option values that overflowed, were silently reinterpreted, ignored, or
/// refused only after the work was done are refused while parsing, one line naming the option, nothing written.
/// </summary>
public class OptionRuleTests
{
    static string Gpt2 => SharedData.Fixture("gpt2-tiny");

    static void AssertRefusedWritingNothing(string option, params string[] args)
    {
        using var dir = new TempDir();
        string[] full = [.. args.Select(a => a.Replace("{out}", dir["out"]))];
        Refusal.Assert(full, option);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [SharedTheory]
    [InlineData("--calib-length", "-1")]  // item 6: overflowed into a negative array size
    [InlineData("--calib-length", "0")]   // item 9: wrote the child, then failed
    [InlineData("--calib-length", "1")]   // item 9: "infinity cannot be written as valid JSON"
    [InlineData("--calib-samples", "-1")] // item 17: "(Parameter 'count')"
    [InlineData("--calib-samples", "0")]  // item 17: "the data is empty"
    public void Item6_9_17_calibration_sizes_are_checked_before_any_work(string option, string value) =>
        AssertRefusedWritingNothing(option, "clone", Gpt2, "--out", "{out}", "--ratio", "0.5", "--calib-random-ids", "2x8", "--json", option, value);

    [SharedTheory]
    [InlineData("1x1")]
    [InlineData("0x8")]
    [InlineData("8x")]
    public void Item9_random_id_shapes_without_a_next_token_are_refused(string shape) =>
        AssertRefusedWritingNothing("--calib-random-ids", "clone", Gpt2, "--out", "{out}", "--ratio", "0.5", "--json", "--calib-random-ids", shape);

    [SharedFact]
    public void Item6_rank_calibration_length_is_checked()
    {
        AssertRefusedWritingNothing("--calib-length", "rank", Gpt2, "--out", "{out}", "--calib-length", "-1");
        AssertRefusedWritingNothing("--calib-length", "rank", Gpt2, "--out", "{out}", "--calib-length", "0");  // item 12: all-zero importance
    }

    [SharedTheory]
    [InlineData("train")]
    [InlineData("eval")]
    public void Item6_a_huge_batch_is_refused(string command)
    {
        string[] args = command == "train" ? ["train", "--config", Path.Combine(Gpt2, "config.json"), "--out", "{out}"] : ["eval", Gpt2];
        AssertRefusedWritingNothing("--batch", [.. args, "--batch", "100000000"]);
    }

    [SharedTheory]
    [InlineData("--temperature", "NaN")]   // item 7: threw from torch
    [InlineData("--temperature", "-1")]    // item 11: silently greedy
    [InlineData("--top-k", "-1")]
    [InlineData("--prompt-ids", "1,,2")]
    [InlineData("--max-new-tokens", "-5")]
    public void Item7_11_generate_refuses_nonsense_sampling(string option, string value)
    {
        string[] ids = option == "--prompt-ids" ? [] : ["--prompt-ids", "1,2"];
        Refusal.Assert(["generate", Gpt2, .. ids, option, value], option);
    }

    [SharedFact]
    public void Item11_prompt_and_prompt_ids_together_are_refused() =>
        Refusal.Assert(["generate", Gpt2, "--prompt", "hello", "--prompt-ids", "1,2"], "--prompt", "--prompt-ids");

    [SharedFact]
    public void Item16_generate_beyond_the_context_is_refused_before_generating() =>
        Refusal.Assert(["generate", Gpt2, "--prompt-ids", "1,2", "--max-new-tokens", "100000"], "--max-new-tokens", "64 positions");

    [SharedFact]
    public void Item16_a_million_layers_is_refused_at_once() =>
        AssertRefusedWritingNothing("--layers", "clone", Gpt2, "--out", "{out}", "--select", "first", "--layers", "1000000");

    [SharedFact]
    public void Item13_layers_beside_keep_layers_is_refused() =>
        AssertRefusedWritingNothing("--keep-layers", "clone", Gpt2, "--out", "{out}", "--select", "first", "--layers", "3", "--keep-layers", "0,1");

    [SharedFact]
    public void Item13_ratio_beside_map_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["map.json"], "{}");
        Refusal.Assert(["clone", Gpt2, "--out", dir["child"], "--map", dir["map.json"], "--ratio", "0.5"], "--map", "--ratio");
        Assert.False(Directory.Exists(dir["child"]));
    }

    [SharedTheory]
    [InlineData("--subclone-lr", "-1")]  // item 17: blamed --lr
    [InlineData("--random-lr", "NaN")]   // item 9: trained two children, then blamed --lr
    [InlineData("--subclone-wd", "-0.5")]
    public void Item9_17_compare_learning_rates_are_checked_by_name_before_training(string option, string value) =>
        AssertRefusedWritingNothing(option, "compare", Gpt2, "--out", "{out}", "--ratio", "0.5", "--steps", "1", option, value);

    [SharedFact]
    public void Item17_dtype_names_match_the_help()
    {
        string line = Refusal.Assert(["clone", Gpt2, "--out", "/tmp/never-written", "--ratio", "0.5", "--dtype", "bogus"], "--dtype bogus");
        foreach (string name in new[] { "f32", "f16", "bf16" }) Assert.Contains(name, line);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("clonee")]
    public void Item17_an_unknown_command_is_named(string word)
    {
        string line = Refusal.Assert([word], $"unknown command '{word}'", "clone");
        Assert.DoesNotContain("Required command", line);
    }

    [Fact]
    public void Item17_no_command_lists_the_commands() => Refusal.Assert([], "give a command", "train");
}
