using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>
/// Writes a Hugging Face model directory tensor by tensor: config.json, then the weights as model.safetensors or,
/// above the shard size, numbered shards plus model.safetensors.index.json, exactly as
/// <see cref="HfCheckpoint.Save"/> lays them out. Only the tensor being written is in memory, so a model larger than
/// memory can be written. Everything goes into a temporary sibling directory that <see cref="Commit"/> renames into
/// place; disposing without committing deletes it, so an interrupted write never leaves a partial model.
/// </summary>
public sealed class CheckpointWriter : IDisposable
{
    /// <summary>Hugging Face's default max_shard_size.</summary>
    public const long DefaultShardBytes = 5_000_000_000;

    readonly string _directory, _temp;
    readonly bool _overwrite;
    readonly List<Shard> _shards;
    readonly Dictionary<string, int> _shardOf;
    readonly List<string> _names;
    SafeTensorsWriter? _open;
    int _openIndex = -1, _next;
    bool _committed;

    sealed record Shard(string FileName, List<ParameterShape> Tensors);

    /// <summary>Every tensor name in the order <see cref="Write"/> takes them (ordinal order, as the files store them).</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The dtype the tensors are stored in.</summary>
    public ScalarType Dtype { get; }

    /// <summary>Total bytes of weights the directory will hold.</summary>
    public long TotalBytes { get; }

    CheckpointWriter(string directory, string temp, bool overwrite, ScalarType dtype, List<Shard> shards, long totalBytes)
    {
        _directory = directory;
        _temp = temp;
        _overwrite = overwrite;
        Dtype = dtype;
        _shards = shards;
        TotalBytes = totalBytes;
        _shardOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
            foreach (var t in shards[i].Tensors) _shardOf[t.Name] = i;
        _names = shards.SelectMany(s => s.Tensors.Select(t => t.Name)).ToList();
    }

    /// <summary>Plans the shards, writes config.json into the temporary directory and opens the first shard.</summary>
    /// <param name="directory">The model directory to create.</param>
    /// <param name="config">The shape, written as config.json with <paramref name="dtype"/> as its torch_dtype.</param>
    /// <param name="tensors">Every tensor's name and shape; <see cref="Names"/> gives the order to write them in.</param>
    /// <param name="dtype">The dtype the tensors are stored in, whatever dtype they are handed over in.</param>
    /// <param name="overwrite">Replace <paramref name="directory"/> if it exists (on <see cref="Commit"/>); otherwise its existence is an error.</param>
    /// <param name="maxShardBytes">Above this many bytes of weights, write numbered shards and an index, as HF does.</param>
    public static CheckpointWriter Create(string directory, ModelConfig config, IEnumerable<ParameterShape> tensors, ScalarType dtype,
        bool overwrite = false, long maxShardBytes = DefaultShardBytes)
    {
        if (maxShardBytes <= 0) throw new ArgumentException($"shard size must be positive, got {maxShardBytes}");
        directory = Path.GetFullPath(directory.TrimEnd('/', '\\'));
        if (File.Exists(directory)) throw new CheckpointException(directory, "is a file; a model is written as a directory");
        if (Directory.Exists(directory) && !overwrite)
            throw new CheckpointException(directory, "already exists (pass --force to replace it)");

        int elementSize = SafeTensorsDtype.SizeOf(dtype);
        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var groups = new List<List<ParameterShape>> { new() };
        long shardBytes = 0, totalBytes = 0;
        foreach (var t in sorted)
        {
            long bytes = t.ElementCount * elementSize;
            if (groups[^1].Count > 0 && shardBytes + bytes > maxShardBytes) { groups.Add([]); shardBytes = 0; }
            groups[^1].Add(t);
            shardBytes += bytes;
            totalBytes += bytes;
        }
        ModelBudget.RequireDisk(totalBytes, directory);
        var shards = groups.Select((g, i) => new Shard(
            groups.Count == 1 ? HfCheckpoint.SingleFile : $"model-{i + 1:D5}-of-{groups.Count:D5}.safetensors", g)).ToList();

        string parent = Path.GetDirectoryName(directory)!;
        string temp = Path.Combine(parent, $".{Path.GetFileName(directory)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(parent);
            RemoveStaleTemporaries(parent, Path.GetFileName(directory));
            Directory.CreateDirectory(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Named by the directory asked for: the temporary sibling is an implementation detail.
            throw new CheckpointException(directory, $"cannot be written ({(e is UnauthorizedAccessException ? "permission denied" : "not writable")})");
        }
        try
        {
            File.WriteAllText(Path.Combine(temp, HfCheckpoint.ConfigFile), config.ToJson(dtype).ToJsonString(Indented) + "\n");
            return new CheckpointWriter(directory, temp, overwrite, dtype, shards, totalBytes);
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>A save killed mid-way (SIGKILL, power loss) leaves its hidden temporary sibling behind; the
    /// next save of the same directory removes those whose writing process no longer exists.</summary>
    static void RemoveStaleTemporaries(string parent, string name)
    {
        foreach (string stale in Directory.GetDirectories(parent, $".{name}.tmp-*"))
        {
            string[] parts = Path.GetFileName(stale)[$".{name}.tmp-".Length..].Split('-');
            if (!int.TryParse(parts[0], out int pid) || pid == Environment.ProcessId || ProcessIsAlive(pid)) continue;
            try { Directory.Delete(stale, recursive: true); }
            catch (IOException) { }  // another process may be cleaning up too
        }
    }

    static bool ProcessIsAlive(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the next tensor (converted to <see cref="Dtype"/>); names must come in <see cref="Names"/> order.</summary>
    public void Write(string name, Tensor value)
    {
        if (_committed) throw new InvalidOperationException("the checkpoint is already committed");
        if (_next >= _names.Count) throw new InvalidOperationException($"every tensor is already written; '{name}' is extra");
        if (_names[_next] != name) throw new InvalidOperationException($"expected tensor '{_names[_next]}' next, got '{name}'");
        int shard = _shardOf[name];
        if (shard != _openIndex)
        {
            CloseShard();
            var metadata = new Dictionary<string, string> { ["format"] = "pt" };
            _open = SafeTensorsWriter.Create(Path.Combine(_temp, _shards[shard].FileName),
                _shards[shard].Tensors.Select(t => (t.Name, Dtype, t.Shape)), metadata);
            _openIndex = shard;
        }
        _open!.Write(name, value);
        _next++;
        if (_open.NextName is null) CloseShard();
    }

    void CloseShard()
    {
        if (_open is null) return;
        _open.Complete();
        _open.Dispose();
        _open = null;
    }

    /// <summary>Adds (or replaces) a small text file, e.g. clone_map.json.</summary>
    public void AddFile(string name, string content) => File.WriteAllText(Path.Combine(_temp, name), content);

    /// <summary>Copies a file in under <paramref name="name"/>, replacing any file of that name.</summary>
    public void CopyFile(string source, string name) => File.Copy(source, Path.Combine(_temp, name), overwrite: true);

    /// <summary>Copies the tokenizer and generation files (<see cref="HfCheckpoint.CompanionFiles"/>) that <paramref name="source"/> has.</summary>
    public void CopyCompanions(string? source)
    {
        if (source is null) return;
        foreach (var file in HfCheckpoint.CompanionFiles)
        {
            string path = Path.Combine(source, file);
            if (File.Exists(path)) File.Copy(path, Path.Combine(_temp, file));
        }
    }

    /// <summary>Checks every tensor was written, writes the index and renames the directory into place.</summary>
    public void Commit()
    {
        if (_next < _names.Count) throw new InvalidOperationException($"tensor '{_names[_next]}' was never written");
        CloseShard();
        if (_shards.Count > 1)
        {
            var weightMap = new JsonObject();
            foreach (var shard in _shards)
                foreach (var t in shard.Tensors) weightMap[t.Name] = shard.FileName;
            var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = TotalBytes }, ["weight_map"] = weightMap };
            File.WriteAllText(Path.Combine(_temp, HfCheckpoint.IndexFile), index.ToJsonString(Indented) + "\n");
        }
        string old = _temp + ".old";
        try
        {
            if (Directory.Exists(_directory))
            {
                if (!_overwrite) throw new CheckpointException(_directory, "already exists (pass --force to replace it)");
                Directory.Move(_directory, old);
                Directory.Move(_temp, _directory);
                Directory.Delete(old, recursive: true);
            }
            else Directory.Move(_temp, _directory);
            _committed = true;
        }
        catch
        {
            // If the new directory could not be moved in, put the old one back rather than leave it hidden.
            if (Directory.Exists(old) && !Directory.Exists(_directory)) Directory.Move(old, _directory);
            throw;
        }
    }

    /// <summary>Deletes the temporary directory unless <see cref="Commit"/> moved it into place.</summary>
    public void Dispose()
    {
        _open?.Dispose();
        _open = null;
        if (!_committed && Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
    }
}
