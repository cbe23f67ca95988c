using Subclone.Data;
using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Cloning;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Streaming;

/// <summary>
/// StreamingCloner against the in-memory path: the same importance scores to the last bit, and the same child
/// files to the last byte, while reading the parent one block (or tensor) at a time; and Subcloner.Write (an
/// in-memory parent sliced into its child's files tensor by tensor) against building the child and saving it.
/// </summary>
public class StreamingClonerTests
{
    static JsonObject BertConfig() => new()
    {
        ["model_type"] = "bert", ["architectures"] = new JsonArray("BertModel"),
        ["hidden_size"] = 32, ["num_attention_heads"] = 4, ["num_hidden_layers"] = 3,
        ["intermediate_size"] = 64, ["vocab_size"] = 60, ["max_position_embeddings"] = 24,
    };

    /// <summary>A parent directory: a shared fixture, or a seeded random BERT saved into <paramref name="dir"/>.</summary>
    static string Parent(string name, TempDir dir)
    {
        if (name != "bert") return SharedData.Fixture(name);
        manual_seed(11);
        var bert = TransformerModel.Create(ModelConfig.Parse(BertConfig(), "bert config"));
        HfCheckpoint.Save(bert, dir["bert-parent"], ScalarType.Float32);
        return dir["bert-parent"];
    }

    /// <summary>Random windows; for BERT, with padding at the end of some sentences so the mask matters.</summary>
    static List<ModelBatch> Batches(ModelConfig config)
    {
        var batches = CloneTestKit.RandomBatches(config, batches: 3, batch: 4, seq: 12, seed: 5);
        if (config.IsDecoder) return batches;
        return batches.Select((b, i) =>
        {
            var mask = ones(4, 12, dtype: ScalarType.Int64);
            mask[1, TensorIndex.Slice(8 - i)] = 0;
            mask[3, TensorIndex.Slice(3)] = 0;
            return new ModelBatch(b.Input * mask, mask);
        }).ToList();
    }

    public static TheoryData<string> Parents => new() { "gpt2-tiny", "llama-tiny-gqa", "llama-tiny-tied-bf16", "bert", "qwen3-tiny", "olmo2-tiny" };

    [SharedTheory]
    [MemberData(nameof(Parents))]
    public void Block_by_block_calibration_gives_exactly_the_in_memory_scores(string name)
    {
        using var dir = new TempDir();
        string parentDir = Parent(name, dir);
        var model = HfCheckpoint.Load(parentDir).Model;
        var batches = Batches(model.Config);

        var expected = Calibrator.Measure(model, batches, "random ids", 5);
        using var reader = CheckpointReader.Open(parentDir);
        var actual = StreamingCloner.Measure(reader, batches, "random ids", 5);

        Assert.Equal(expected.ToJson(), actual.ToJson());
        Assert.True(actual.Residual.All(layer => layer.Any(v => v > 0)), "every layer saw activations");
    }

    [SharedTheory]
    [MemberData(nameof(Parents))]
    public void Calibration_reads_the_embedding_then_one_block_at_a_time_and_never_the_head(string name)
    {
        using var dir = new TempDir();
        using var reader = CheckpointReader.Open(Parent(name, dir));
        var read = new List<string>();
        reader.TensorRead += read.Add;

        StreamingCloner.Measure(reader, Batches(reader.Config), "random ids", 5);

        var layers = read.Select(ParameterLayout.LayerOf).ToList();
        int firstBlock = layers.FindIndex(l => l is not null);
        Assert.True(firstBlock > 0, "the embedding is read first");
        Assert.All(layers.Skip(firstBlock), l => Assert.NotNull(l));  // nothing after the blocks: no final norm, no head
        Assert.Equal(Enumerable.Range(0, reader.Config.Layers), layers.Skip(firstBlock).Distinct().Select(l => l!.Value));
        Assert.True(layers.Skip(firstBlock).Zip(layers.Skip(firstBlock + 1)).All(p => p.First <= p.Second), "blocks are read in order, each once");
        Assert.Equal(read.Count, read.Distinct().Count());
        Assert.DoesNotContain(read, n => n.Contains("lm_head") || n is "model.norm.weight" || n.StartsWith("transformer.ln_f") || n.StartsWith("pooler."));
    }

    public static TheoryData<string, int?, int?, int?, int?, int?, string, long> Cuts => new()
    {
        // parent, hidden, layers, heads, kv heads, ffn, dtype, shard bytes
        { "gpt2-tiny", 32, 2, 2, null, 128, "float32", CheckpointWriter.DefaultShardBytes },
        { "gpt2-tiny", 48, 5, 3, null, 200, "bfloat16", 20_000 },  // deeper than the parent: duplicated blocks
        { "llama-tiny-gqa", 40, 2, 2, 1, 100, "bfloat16", 8_000 },
        { "llama-tiny-tied-bf16", 20, 3, 2, 2, 64, "float16", CheckpointWriter.DefaultShardBytes },
        { "bert", 16, 2, 2, null, 40, "float32", 6_000 },
        // Half width, half depth (rounded up): q/k norms per head (Qwen3) and over the cut projection (OLMo 2).
        { "qwen3-tiny", 16, 2, 2, 1, 32, "float32", CheckpointWriter.DefaultShardBytes },
        { "olmo2-tiny", 16, 2, 2, 1, 32, "bfloat16", 6_000 },
    };

    /// <summary>Every file of a directory by name, with its bytes.</summary>
    static SortedDictionary<string, byte[]> Files(string directory) =>
        new(Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes), StringComparer.Ordinal);

    [SharedTheory]
    [MemberData(nameof(Cuts))]
    public void A_streamed_child_is_byte_for_byte_the_in_memory_child(string name, int? hidden, int? layers, int? heads, int? kv, int? ffn, string dtype, long shardBytes)
    {
        using var dir = new TempDir();
        string parentDir = Parent(name, dir);
        var storeDtype = SafeTensorsDtype.FromTorchName(dtype);
        var target = new CloneTarget(hidden, layers, heads, kv, ffn);
        var options = new CloneOptions { Seed = 3 };
        var indented = new JsonSerializerOptions { WriteIndented = true };

        var parent = ModelSource.Load(parentDir);
        var batches = Batches(parent.Model.Config);
        var scores = Calibrator.Measure(parent.Model, batches, "random ids", 3);
        var inMemory = Subcloner.Clone(parent.Model, target, scores, options);
        var report = CloneReport.Build(parent, inMemory.Child.Config, inMemory.Map, scores);
        HfCheckpoint.Save(inMemory.Child, dir["in-memory"], storeDtype, parentDir, maxShardBytes: shardBytes,
            extraFiles: [(CloneReport.FileName, report.ToJsonString(indented))]);
        // The CLI's in-memory path: sliced and written tensor by tensor from the loaded parent, the child never built.
        var written = Subcloner.Write(parent.Model, inMemory.Map, dir["tensor-by-tensor"], storeDtype, parentDir, maxShardBytes: shardBytes,
            extraFiles: [(CloneReport.FileName, report.ToJsonString(indented))]);

        using var reader = CheckpointReader.Open(parentDir);
        var streamedScores = StreamingCloner.Measure(reader, batches, "random ids", 3);
        var map = StreamingCloner.Plan(reader, target, streamedScores, options);
        var streamedReport = CloneReport.Build(parentDir, CloneReport.Fingerprint(parentDir), reader.Config, Subcloner.ChildConfig(reader.Config, map), map, streamedScores);
        var child = StreamingCloner.Write(reader, map, dir["streamed"], storeDtype, maxShardBytes: shardBytes,
            extraFiles: [(CloneReport.FileName, streamedReport.ToJsonString(indented))]);

        Assert.Equal(inMemory.Child.Config.Layers, child.Layers);
        var expected = Files(dir["in-memory"]);
        var actual = Files(dir["streamed"]);
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.Contains(HfCheckpoint.ConfigFile, actual.Keys);
        Assert.Equal(shardBytes < CheckpointWriter.DefaultShardBytes, actual.ContainsKey(HfCheckpoint.IndexFile));
        foreach (var (file, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[file]), $"{file} differs");
        var tensorByTensor = Files(dir["tensor-by-tensor"]);
        Assert.Equal(expected.Keys, tensorByTensor.Keys);
        foreach (var (file, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(tensorByTensor[file]), $"{file} differs, tensor by tensor");
        Assert.Equal(inMemory.Child.Config.Hidden, written.Hidden);
        // And the child is a working model of the target shape.
        Assert.Equal(storeDtype, HfCheckpoint.Load(dir["streamed"]).StoredDtype);
    }

    [SharedFact]
    public void Replaying_a_map_needs_no_calibration_and_matches_Subcloner_Apply()
    {
        using var dir = new TempDir();
        string parentDir = SharedData.Fixture("llama-tiny-gqa");
        var parent = HfCheckpoint.Load(parentDir).Model;
        var map = ClonePlanner.Plan(parent.Config, new CloneTarget(24, 2, 2, 1, 50).Apply(parent.Config), null,
            new CloneOptions { Selection = Selection.Random, Seed = 9 });

        using var reader = CheckpointReader.Open(parentDir);
        StreamingCloner.Write(reader, map, dir["streamed"], ScalarType.Float32);

        ModelAssert.BitIdentical(Subcloner.Apply(parent, map), HfCheckpoint.Load(dir["streamed"]).Model);
    }
}
