using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Data.Tokenizers;
using Subclone.Models;
using Subclone.Tests.Support;

namespace Subclone.Tests.Training;

/// <summary>Small tokenizers, models and texts for training tests, built on the spot.</summary>
internal static class TrainingTestKit
{
    /// <summary>
    /// Writes vocab.json and merges.txt of a byte-level GPT-2 BPE with no merges: one token per byte (GPT-2's
    /// byte-to-unicode alphabet) plus &lt;|endoftext|&gt; = 257 ids, a real tokenizer that any GPT-2 loader reads.
    /// </summary>
    public static string WriteByteTokenizer(string directory)
    {
        Directory.CreateDirectory(directory);
        var vocab = new Dictionary<string, int>();
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            vocab[((char)(printable ? b : 256 + extra++)).ToString()] = b;
        }
        vocab[Gpt2Tokenizer.EndOfText] = 256;
        File.WriteAllText(Path.Combine(directory, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(directory, "merges.txt"), "#version: 0.2\n");
        return directory;
    }

    public static Gpt2Tokenizer ByteTokenizer(TempDir dir) =>
        Gpt2Tokenizer.FromFiles(Path.Combine(WriteByteTokenizer(dir["tokenizer"]), "vocab.json"), Path.Combine(dir["tokenizer"], "merges.txt"));

    /// <summary>GPT-2, 2 layers × 32 wide, 257 byte ids, 64 positions.</summary>
    public static JsonObject Gpt2Config(int positions = 64) => new()
    {
        ["model_type"] = "gpt2", ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["n_embd"] = 32, ["n_head"] = 2, ["n_layer"] = 2, ["n_positions"] = positions, ["vocab_size"] = 257,
    };

    public static TransformerModel Gpt2(long seed)
    {
        return TransformerModel.Create(ModelConfig.Parse(Gpt2Config(), "tiny training gpt2"), seed);
    }

    /// <summary>
    /// Deterministic little stories with a real structure to learn (fixed phrases, names that recur), separated by
    /// blank lines so each is a document.
    /// </summary>
    public static string Stories(int count, int seed = 1)
    {
        string[] names = ["Lily", "Tom", "Ben", "Mia", "Sam"];
        string[] things = ["ball", "cat", "tree", "boat", "cake"];
        string[] feelings = ["happy", "sad", "tired", "brave"];
        var random = new Random(seed);
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            string name = names[random.Next(names.Length)], thing = things[random.Next(things.Length)];
            text.Append($"Once upon a time, {name} found a {thing}. {name} was {feelings[random.Next(feelings.Length)]}. ");
            text.Append($"The {thing} was big and red. {name} played with the {thing} all day.\n\n");
        }
        return text.ToString();
    }

    public static string WriteStories(string path, int count, int seed = 1)
    {
        File.WriteAllText(path, Stories(count, seed));
        return path;
    }
}
