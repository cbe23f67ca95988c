using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>
/// A Hugging Face model directory opened for reading tensor by tensor: config.json is parsed and every weight
/// file's header checked against the parameters the config implies, but no weights are read until asked for.
/// A checkpoint larger than memory is used a tensor (or a block's module) at a time; whole models load through
/// <see cref="Load"/> with the root module and no prefix.
/// </summary>
/// <remarks>
/// Files are read with ordinary positioned reads, not memory-mapped: pages of a mapping count towards the
/// process's resident set for as long as they stay cached, so a mapped 15 GB parent would look (and, under a
/// memory limit, be accounted) as 15 GB resident. A read copies one tensor into memory the process owns and frees.
/// </remarks>
public sealed class CheckpointReader : IDisposable
{
    readonly List<SafeTensorsFile> _files;
    readonly Dictionary<string, (SafeTensorsFile File, SafeTensorsEntry Entry)> _where;

    /// <summary>The model directory.</summary>
    public string Directory { get; }
    /// <summary>The parsed config.json.</summary>
    public ModelConfig Config { get; }
    /// <summary>The dtype the weights are stored in (of the first weight, as Hugging Face reports it).</summary>
    public ScalarType StoredDtype { get; }
    /// <summary>BERT checkpoints may or may not carry the pooler; other families have none.</summary>
    public bool HasPooler { get; }
    /// <summary>Every parameter's name and shape, in the model's state_dict order.</summary>
    public IReadOnlyList<ParameterShape> Parameters { get; }
    /// <summary>Bytes the parameters occupy in the files.</summary>
    public long WeightBytes => _where.Values.Sum(w => w.Entry.End - w.Entry.Begin);

    CheckpointReader(string directory, ModelConfig config, List<SafeTensorsFile> files, Dictionary<string, (SafeTensorsFile, SafeTensorsEntry)> where,
        ScalarType storedDtype, bool hasPooler, IReadOnlyList<ParameterShape> parameters)
    {
        Directory = directory;
        Config = config;
        _files = files;
        _where = where;
        StoredDtype = storedDtype;
        HasPooler = hasPooler;
        Parameters = parameters;
    }

    /// <summary>
    /// Opens a model directory: parses config.json and every weight file's header and checks the tensors' names, shapes
    /// and dtypes against the config, reading no weights yet. Any problem is a <see cref="CheckpointException"/> naming the file.
    /// </summary>
    public static CheckpointReader Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new CheckpointException(directory, "is not a directory");
        string configPath = Path.Combine(directory, HfCheckpoint.ConfigFile);
        if (!File.Exists(configPath)) throw new CheckpointException(directory, "has no config.json");
        var config = ModelConfig.Load(configPath);

        var files = WeightFiles(directory);
        try
        {
            bool pooler = config.Family.HasOptionalPart(files.SelectMany(f => f.Names));
            var parameters = ParameterTable(config, pooler, files.Sum(f => f.Entries.Count), configPath);
            var check = new WeightCheck(config, parameters);
            var where = new Dictionary<string, (SafeTensorsFile, SafeTensorsEntry)>(StringComparer.Ordinal);
            foreach (var file in files)
                foreach (var entry in file.Entries.OrderBy(e => e.Begin))
                    foreach (var part in Parts(config, entry))
                        if (check.Accept(file.Path, part.Name, part.Dtype, part.Shape) is string name) where[name] = (file, part);
            // A missing tensor is the checkpoint's fault as a whole: for shards, the index that should have listed it.
            string single = Path.Combine(directory, HfCheckpoint.SingleFile);
            check.CheckComplete(File.Exists(single) ? single : Path.Combine(directory, HfCheckpoint.IndexFile));
            return new CheckpointReader(directory, config, files, where, check.StoredDtype ?? ScalarType.Float32, pooler, parameters);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    /// <summary>The parameters config.json implies, built only as far as the weight files could supply them: its
    /// sizes are untrusted, and a layer count of two billion would be a table of tens of billions of rows. Well past
    /// the stored tensor count (so a few missing tensors are still reported by name) the config is refused.</summary>
    static IReadOnlyList<ParameterShape> ParameterTable(ModelConfig config, bool pooler, int storedTensors, string configPath)
    {
        int limit = 2 * storedTensors + 64;
        var parameters = TransformerModel.EnumerateParameterShapes(config, pooler).Take(limit + 1).ToList();
        if (parameters.Count > limit)
            throw new CheckpointException(configPath,
                $"describes more than {limit} parameters, but the weight files hold {storedTensors} tensors ({config.Family.Keys.Layers} is {config.Layers})");
        return parameters;
    }

    /// <summary>The parameters one stored tensor holds: itself, or the per-expert parts of a fused tensor, each a
    /// contiguous byte range of it, so an expert is read without reading its neighbours.</summary>
    static IEnumerable<SafeTensorsEntry> Parts(ModelConfig config, SafeTensorsEntry entry)
    {
        if (config.Family.Fused?.Invoke(config, entry.Name, entry.Shape) is not { } parts) return [entry];
        long size = SafeTensorsDtype.SizeOf(entry.Dtype);
        return parts.Select(p => new SafeTensorsEntry(p.Name, entry.Dtype, p.Shape, entry.Begin + p.ElementOffset * size,
            entry.Begin + (p.ElementOffset + p.Shape.Aggregate(1L, (a, b) => a * b)) * size));
    }

    static List<SafeTensorsFile> WeightFiles(string directory)
    {
        string single = Path.Combine(directory, HfCheckpoint.SingleFile), index = Path.Combine(directory, HfCheckpoint.IndexFile);
        if (File.Exists(single)) return [SafeTensorsFile.Open(single)];
        if (!File.Exists(index))
            throw new CheckpointException(directory, "has neither model.safetensors nor model.safetensors.index.json (PyTorch .bin checkpoints are not supported)");

        var shardNames = ShardNames(index);
        var files = new List<SafeTensorsFile>();
        try
        {
            foreach (var shard in shardNames)
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
            var map = JsonNode.Parse(File.ReadAllText(indexPath), documentOptions: JsonText.NoDuplicateKeys)?["weight_map"] as JsonObject
                ?? throw new CheckpointException(indexPath, "has no weight_map object");
            return map.ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? v.GetValue<string>()
                : throw new CheckpointException(indexPath, $"weight_map entry '{kv.Key}' is {kv.Value?.ToJsonString() ?? "null"}, not a file name"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new CheckpointException(indexPath, $"is not a valid index ({(e is JsonException json ? JsonText.Describe(json) : e.Message)})");
        }
    }

    (SafeTensorsFile File, SafeTensorsEntry Entry) Locate(string name) =>
        _where.TryGetValue(name, out var w) ? w : throw new ArgumentException($"{Directory}: {Config.ArchitectureName} has no parameter '{name}'");

    /// <summary>Load NaN/Inf weights (recording them in <see cref="NonFinite"/>) instead of refusing them.</summary>
    public bool AllowNonFinite { get; set; }

    /// <summary>Parameters that held NaN or ±Inf, when <see cref="AllowNonFinite"/> let them through.</summary>
    public List<string> NonFinite { get; } = [];

    /// <summary>Called with each parameter name as it is read (tests watch what a streaming pass touches).</summary>
    public event Action<string>? TensorRead;

    /// <summary>One parameter, by its model name, converted to float32.</summary>
    public Tensor ReadFloat32(string name)
    {
        var (file, entry) = Locate(name);
        TensorRead?.Invoke(name);
        return file.ReadFloat32(entry);
    }

    /// <summary>Fills every parameter of <paramref name="module"/> from the checkpoint tensor named
    /// <paramref name="prefix"/> + its state_dict key: a whole model with no prefix, or one block, e.g. "model.layers.7.".</summary>
    public void Load(nn.Module module, string prefix = "")
    {
        using var _ = no_grad();
        foreach (var (key, parameter) in module.state_dict())
        {
            string name = prefix + key;
            var (file, entry) = Locate(name);
            TensorRead?.Invoke(name);
            // The stored dtype is copied into the float32 parameter directly: no float32 temporary of the tensor.
            using var raw = file.ReadRaw(entry);
            parameter.copy_(raw);
            // A parent with NaN or Inf weights poisons importance scores and every child; refuse unless asked not to.
            // Disposed here, not left to the GC: a block of 384 experts would otherwise leave that many mask tensors behind.
            using var finite = parameter.isfinite();
            using var allFinite = finite.all();
            if (!allFinite.item<bool>())
            {
                if (!AllowNonFinite)
                    throw new CheckpointException(file.Path, $"tensor '{entry.Name}' contains NaN or Inf values (pass --allow-nan to load it anyway)");
                NonFinite.Add(entry.Name);
            }
        }
    }

    /// <summary>Closes the weight files.</summary>
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
