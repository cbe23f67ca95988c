using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>A model loaded from a Hugging Face directory, with what is needed to write it back the same way.</summary>
public sealed record LoadedModel(TransformerModel Model, string Directory, ScalarType StoredDtype);

/// <summary>
/// Reads and writes Hugging Face model directories: config.json plus model.safetensors, or shards listed in
/// model.safetensors.index.json. Weights may be stored as F32, F16 or BF16 and are computed in F32.
/// </summary>
public static class HfCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Files that travel with a model: tokenizers and generation defaults.</summary>
    public static readonly string[] CompanionFiles =
    [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
        "vocab.txt", "tokenizer.model", "added_tokens.json", "generation_config.json",
    ];

    public static LoadedModel Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new CheckpointException(directory, "is not a directory");
        string configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new CheckpointException(directory, "has no config.json");
        var config = ModelConfig.Load(configPath);

        var files = WeightFiles(directory);
        try
        {
            var names = files.SelectMany(f => f.Names).ToHashSet();
            var model = config.Architecture == Architecture.Bert
                ? new BertModel(config, withPooler: names.Any(n => n.Contains("pooler.")))
                : TransformerModel.Create(config);
            // A missing tensor is the checkpoint's fault as a whole: for shards, the index that should have listed it.
            string source = File.Exists(Path.Combine(directory, SingleFile)) ? files[0].Path : Path.Combine(directory, IndexFile);
            var dtype = LoadWeights(model, files, source);
            return new LoadedModel(model, directory, dtype);
        }
        finally
        {
            foreach (var f in files) f.Dispose();
        }
    }

    static List<SafeTensorsFile> WeightFiles(string directory)
    {
        string single = Path.Combine(directory, SingleFile), index = Path.Combine(directory, IndexFile);
        if (File.Exists(single)) return [SafeTensorsFile.Open(single)];
        if (!File.Exists(index))
            throw new CheckpointException(directory, "has neither model.safetensors nor model.safetensors.index.json (PyTorch .bin checkpoints are not supported)");

        var shardNames = ReadIndex(index).Values.Distinct().Order(StringComparer.Ordinal).ToList();
        var files = new List<SafeTensorsFile>();
        try
        {
            foreach (var shard in shardNames)
            {
                if (shard.Contains('/') || shard.Contains('\\') || shard.StartsWith('.'))
                    throw new CheckpointException(index, $"shard name '{shard}' is not a plain file name");
                string path = Path.Combine(directory, shard);
                if (!File.Exists(path)) throw new CheckpointException(index, $"lists shard '{shard}', which does not exist");
                files.Add(SafeTensorsFile.Open(path));
            }
            return files;
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    static Dictionary<string, string> ReadIndex(string indexPath)
    {
        try
        {
            var map = JsonNode.Parse(File.ReadAllText(indexPath))?["weight_map"] as JsonObject
                ?? throw new CheckpointException(indexPath, "has no weight_map object");
            return map.ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? v.GetValue<string>()
                : throw new CheckpointException(indexPath, $"weight_map entry '{kv.Key}' is {kv.Value?.ToJsonString() ?? "null"}, not a file name"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new CheckpointException(indexPath, $"is not a valid index ({e.Message.Split('.')[0]})");
        }
    }

    /// <summary>Copies every tensor of the files into the model's parameters; returns the stored weight dtype.</summary>
    static ScalarType LoadWeights(TransformerModel model, List<SafeTensorsFile> files, string source)
    {
        var weights = new WeightLoader(model);
        foreach (var file in files)
            foreach (var entry in file.Entries.OrderBy(e => e.Begin))
                weights.Load(file.Path, entry.Name, entry.Dtype, entry.Shape, () => file.ReadFloat32(entry.Name));
        weights.CheckComplete(source);
        return weights.StoredDtype ?? ScalarType.Float32;
    }

    /// <summary>Builds a model of <paramref name="config"/> from float32 tensors with HF names (imports).</summary>
    public static TransformerModel FromTensors(ModelConfig config, IReadOnlyDictionary<string, Tensor> tensors, string origin)
    {
        var model = config.Architecture == Architecture.Bert
            ? new BertModel(config, withPooler: tensors.Keys.Any(n => n.Contains("pooler.")))
            : TransformerModel.Create(config);
        var weights = new WeightLoader(model);
        foreach (var (name, tensor) in tensors)
            weights.Load(origin, name, tensor.dtype, tensor.shape, () => tensor.to_type(ScalarType.Float32));
        weights.CheckComplete(origin);
        return model;
    }

    /// <summary>
    /// Writes the model as a Hugging Face directory. Everything is written into a temporary sibling directory
    /// that is renamed into place when complete, so an interrupted save never leaves a partial model.
    /// </summary>
    /// <param name="maxShardBytes">Above this many bytes of weights, write numbered shards and an index, as HF does.</param>
    public static void Save(TransformerModel model, string directory, ScalarType dtype, string? companionSource = null,
        bool overwrite = false, long maxShardBytes = CheckpointWriter.DefaultShardBytes, IEnumerable<(string Name, string Content)>? extraFiles = null,
        IEnumerable<(string Source, string Name)>? copyFiles = null)
    {
        var tensors = model.state_dict();
        using var writer = CheckpointWriter.Create(directory, model.Config,
            tensors.Select(kv => new ParameterShape(kv.Key, kv.Value.shape)), dtype, overwrite, maxShardBytes);
        foreach (var name in writer.Names) writer.Write(name, tensors[name]);
        writer.CopyCompanions(companionSource);
        foreach (var (name, content) in extraFiles ?? []) writer.AddFile(name, content);
        foreach (var (source, name) in copyFiles ?? []) writer.CopyFile(source, name);
        writer.Commit();
    }
}
