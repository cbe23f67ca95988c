using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>A model loaded from a Hugging Face directory, with what is needed to write it back the same way.</summary>
public sealed record LoadedModel(TransformerModel Model, string Directory, ScalarType StoredDtype, IReadOnlyList<string> Warnings);

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

    public static LoadedModel Load(string directory, bool allowNonFinite = false)
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
            var weights = new WeightLoader(model, allowNonFinite);
            var dtype = LoadWeights(weights, files, source);
            return new LoadedModel(model, directory, dtype,
                weights.NonFinite.Select(t => $"{directory}: tensor '{t}' contains NaN or Inf values").ToList());
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

        var files = new List<SafeTensorsFile>();
        try
        {
            foreach (var shard in ShardNames(index))
            {
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

    /// <summary>The distinct shard files an index lists, in order; each must be a plain file name beside the index.</summary>
    public static IReadOnlyList<string> ShardNames(string indexPath)
    {
        var shards = ReadIndex(indexPath).Values.Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var shard in shards)
            if (shard.Contains('/') || shard.Contains('\\') || shard.StartsWith('.'))
                throw new CheckpointException(indexPath, $"shard name '{shard}' is not a plain file name");
        return shards;
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
    static ScalarType LoadWeights(WeightLoader weights, List<SafeTensorsFile> files, string source)
    {
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
        bool overwrite = false, long maxShardBytes = 5_000_000_000, IEnumerable<(string Name, string Content)>? extraFiles = null,
        IEnumerable<(string Source, string Name)>? copyFiles = null)
    {
        directory = Path.GetFullPath(directory.TrimEnd('/', '\\'));
        if (System.IO.Directory.Exists(directory) && !overwrite)
            throw new CheckpointException(directory, "already exists (pass --force to replace it)");
        string parent = Path.GetDirectoryName(directory)!;
        System.IO.Directory.CreateDirectory(parent);
        RemoveStaleTemporaries(parent, Path.GetFileName(directory));
        string temp = Path.Combine(parent, $".{Path.GetFileName(directory)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(temp);
        string old = temp + ".old";
        try
        {
            WriteContents(model, temp, dtype, companionSource, maxShardBytes, extraFiles);
            foreach (var (source, name) in copyFiles ?? []) File.Copy(source, Path.Combine(temp, name), overwrite: true);
            if (System.IO.Directory.Exists(directory))
            {
                System.IO.Directory.Move(directory, old);
                System.IO.Directory.Move(temp, directory);
                System.IO.Directory.Delete(old, recursive: true);
            }
            else System.IO.Directory.Move(temp, directory);
        }
        catch
        {
            // If the new directory could not be moved in, put the old one back rather than leave it hidden.
            if (System.IO.Directory.Exists(old) && !System.IO.Directory.Exists(directory)) System.IO.Directory.Move(old, directory);
            if (System.IO.Directory.Exists(temp)) System.IO.Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>A save killed mid-way (SIGKILL, power loss) leaves its hidden temporary sibling behind; the
    /// next save of the same directory removes those whose writing process no longer exists.</summary>
    static void RemoveStaleTemporaries(string parent, string name)
    {
        foreach (string stale in System.IO.Directory.GetDirectories(parent, $".{name}.tmp-*"))
        {
            string[] parts = Path.GetFileName(stale)[$".{name}.tmp-".Length..].Split('-');
            if (!int.TryParse(parts[0], out int pid) || pid == Environment.ProcessId || ProcessIsAlive(pid)) continue;
            try { System.IO.Directory.Delete(stale, recursive: true); }
            catch (IOException) { }  // another process may be cleaning up too
        }
    }

    static bool ProcessIsAlive(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    static void WriteContents(TransformerModel model, string dir, ScalarType dtype, string? companionSource, long maxShardBytes,
        IEnumerable<(string Name, string Content)>? extraFiles)
    {
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(dir, ConfigFile), model.Config.ToJson(dtype).ToJsonString(options) + "\n");

        var tensors = model.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        int elementSize = SafeTensorsDtype.SizeOf(dtype);
        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long shardBytes = 0, totalBytes = 0;
        foreach (var kv in tensors)
        {
            long bytes = kv.Value.numel() * elementSize;
            if (shards[^1].Count > 0 && shardBytes + bytes > maxShardBytes) { shards.Add([]); shardBytes = 0; }
            shards[^1].Add(kv);
            shardBytes += bytes;
            totalBytes += bytes;
        }

        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        if (shards.Count == 1)
        {
            SafeTensorsFile.Write(Path.Combine(dir, SingleFile), shards[0], dtype, metadata);
        }
        else
        {
            var weightMap = new JsonObject();
            for (int i = 0; i < shards.Count; i++)
            {
                string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                SafeTensorsFile.Write(Path.Combine(dir, name), shards[i], dtype, metadata);
                foreach (var kv in shards[i]) weightMap[kv.Key] = name;
            }
            var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = totalBytes }, ["weight_map"] = weightMap };
            File.WriteAllText(Path.Combine(dir, IndexFile), index.ToJsonString(options) + "\n");
        }

        if (companionSource is not null)
            foreach (var file in CompanionFiles)
            {
                string source = Path.Combine(companionSource, file);
                if (File.Exists(source)) File.Copy(source, Path.Combine(dir, file));
            }
        foreach (var (name, content) in extraFiles ?? [])
            File.WriteAllText(Path.Combine(dir, name), content);
    }
}
