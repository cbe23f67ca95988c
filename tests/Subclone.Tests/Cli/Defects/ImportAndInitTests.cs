using System.Text.Json.Nodes;
using Subclone.Tests.Support;

namespace Subclone.Tests.Cli.Defects;

/// <summary>
/// Issue 11, items 7, 8 and 10: import stores a tokenizer only under the name of the format it is (llama2.c's binary
/// tok*.bin and text files are refused up front), init refuses a config whose size is absurd before allocating, and a
/// ViT asked to stream is refused instead of throwing NotSupportedException.
/// </summary>
public class ImportAndInitTests
{
    static string Stories => SharedData.Data("stories260K/stories260K.bin");

    [SharedFact]
    public void Item10_llama2c_binary_tokenizer_is_refused_pointing_at_its_model()
    {
        using var dir = new TempDir();
        string tok = SharedData.Data("stories260K/tok512.bin");
        Refusal.Assert(["import", Stories, "--tokenizer", tok, "--out", dir["hf"]], tok, "binary tokenizer", "tok512.model");
        Assert.False(Directory.Exists(dir["hf"]));
    }

    [SharedFact]
    public void Item10_a_text_file_is_not_stored_as_a_vocabulary()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["notes.txt"], "remember the milk\n");
        Refusal.Assert(["import", Stories, "--tokenizer", dir["notes.txt"], "--out", dir["hf"]], "notes.txt", "not a SentencePiece model");
        Assert.False(Directory.Exists(dir["hf"]));
    }

    [SharedFact]
    public void Item10_the_SentencePiece_model_is_stored_and_every_later_command_reads_it()
    {
        using var dir = new TempDir();
        var import = CliRunner.Run("import", Stories, "--tokenizer", SharedData.Data("stories260K/tok512.model"), "--out", dir["hf"]);
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Equal(File.ReadAllBytes(SharedData.Data("stories260K/tok512.model")), File.ReadAllBytes(dir["hf/tokenizer.model"]));
        var generated = CliRunner.Run("generate", dir["hf"], "--prompt", "Once upon a time", "--max-new-tokens", "4", "--greedy", "--json");
        Assert.True(generated.ExitCode == 0, generated.Error);
        Assert.False(string.IsNullOrEmpty((string?)JsonNode.Parse(generated.Out)!["text"]));
    }

    [Fact]
    public void Item7_init_refuses_a_config_of_absurd_size_before_allocating()
    {
        using var dir = new TempDir();
        var config = new JsonObject
        {
            ["model_type"] = "llama", ["architectures"] = new JsonArray("LlamaForCausalLM"), ["hidden_size"] = 1048576,
            ["num_attention_heads"] = 8192, ["num_key_value_heads"] = 8192, ["num_hidden_layers"] = 1000, ["intermediate_size"] = 4194304,
            ["vocab_size"] = 32000,
        };
        File.WriteAllText(dir["config.json"], config.ToJsonString());
        Refusal.Assert(["init", "--config", dir["config.json"], "--out", dir["model"]], "GB");
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    [SharedFact]
    public void Item8_a_ViT_asked_to_stream_is_refused_not_a_crash()
    {
        using var dir = new TempDir();
        // Importance selection calibrates block by block, which ViT has no pass for.
        Refusal.Assert(["clone", SharedData.Fixture("vit-tiny"), "--out", dir["child"], "--streaming", "--ratio", "0.5"],
            "ViTForImageClassification", "stream");
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [SharedFact]
    public void Item17_random_token_ids_for_an_image_model_are_refused_by_name()
    {
        using var dir = new TempDir();
        string line = Refusal.Assert(["clone", SharedData.Fixture("vit-tiny"), "--out", dir["child"], "--ratio", "0.5", "--calib-random-ids", "8x32"],
            "--calib-random-ids", "image model");
        Assert.DoesNotContain("Int64", line);
    }
}
