using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;

namespace Subclone.Cloning;

/// <summary>clone_map.json: the map plus what it was made from, so a cut can be inspected and replayed.</summary>
public static class CloneReport
{
    /// <summary>The report's file name, beside the child's weights.</summary>
    public const string FileName = "clone_map.json";

    /// <summary>sha256 over the parent's weight files in name order (or over its tensors when it has no files).</summary>
    public static string Fingerprint(ModelSource parent)
    {
        if (parent.Directory is string dir) return Fingerprint(dir);
        using var sha = SHA256.Create();
        foreach (var (name, t) in parent.Model.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
            sha.TransformBlock(nameBytes, 0, nameBytes.Length, null, 0);
            var bytes = t.contiguous().bytes.ToArray();
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexStringLower(sha.Hash!);
    }

    /// <summary>sha256 over a model directory's weight files in name order, read a megabyte at a time.</summary>
    public static string Fingerprint(string directory)
    {
        using var sha = SHA256.Create();
        var buffer = new byte[1 << 20];
        foreach (var file in Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            int read;
            while ((read = stream.Read(buffer)) > 0) sha.TransformBlock(buffer, 0, read, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexStringLower(sha.Hash!);
    }

    /// <summary>The report for a loaded parent: its origin, weight fingerprint and shape, the child's shape, the map and a summary of the scores.</summary>
    public static JsonObject Build(ModelSource parent, ModelConfig child, CloneMap map, ImportanceScores? scores) =>
        Build(parent.Origin, Fingerprint(parent), parent.Model.Config, child, map, scores);

    /// <summary>The report for a parent known by its origin, fingerprint and config (one that was never loaded whole).</summary>
    public static JsonObject Build(string origin, string fingerprint, ModelConfig p, ModelConfig child, CloneMap map, ImportanceScores? scores)
    {
        var json = new JsonObject
        {
            // Version 2 adds the expert lists (experts, expert_ffn_neurons, top_k, dense_model_type); a version-1 map
            // (no experts) reads unchanged.
            ["format"] = Format,
            ["parent"] = new JsonObject
            {
                ["origin"] = origin,
                ["sha256"] = fingerprint,
                ["architecture"] = p.ArchitectureName,
                ["shape"] = Shape(p),
            },
            ["target"] = Shape(child),
            ["scale_factors"] = new JsonObject
            {
                ["residual"] = Math.Sqrt((double)p.Hidden / child.Hidden),
                ["attention_output"] = Math.Sqrt((double)p.Heads / child.Heads),
                ["ffn_output"] = Math.Sqrt((double)p.Ffn / child.Ffn),
                ["applied"] = map.Scale,
            },
            ["calibration"] = scores is null ? null : new JsonObject
            {
                ["source"] = scores.CalibrationSource,
                ["tokens"] = scores.CalibrationTokens,
                ["seed"] = scores.Seed,
            },
            ["map"] = map.ToJsonNode(),
        };
        return json;
    }

    static JsonObject Shape(ModelConfig c)
    {
        var shape = new JsonObject
        {
            ["hidden"] = c.Hidden, ["layers"] = c.Layers, ["heads"] = c.Heads, ["kv_heads"] = c.KvHeads,
            ["head_dim"] = c.HeadDim, ["ffn"] = c.Ffn, ["vocab"] = c.Vocab,
        };
        if (c.Moe is { } moe)
        {
            shape["experts"] = moe.Experts; shape["top_k"] = moe.TopK; shape["expert_ffn"] = moe.ExpertFfn;
            shape["dense_layers"] = new JsonArray(moe.DenseLayers.Select(l => (JsonNode)l).ToArray());
        }
        return shape;
    }

    /// <summary>The format string this code writes (version 2 added experts); version 1 maps, which have none, still read.</summary>
    public const string Format = "subclone.clone_map/2";

    /// <summary>Every format string this code reads.</summary>
    public static readonly string[] ReadableFormats = ["subclone.clone_map/1", Format];

    /// <summary>Reads the map from a clone_map.json written by <see cref="Build(ModelSource, ModelConfig, CloneMap, ImportanceScores?)"/>.</summary>
    public static CloneMap ReadMap(string path) => CloneMap.FromJsonNode(ReadReport(path)["map"]!, path);

    /// <summary>
    /// Reads the map to replay on <paramref name="parent"/>, refusing, with the field named, a file of another format, a
    /// map made from another architecture or shape, or one whose recorded target is not the shape its lists give.
    /// Different weights (a sibling checkpoint of the same shape) are allowed: the returned warning says so.
    /// </summary>
    public static (CloneMap Map, string? Warning) ReadMap(string path, ModelConfig parent, string? parentFingerprint)
    {
        var report = ReadReport(path);
        if (report["format"] is not JsonValue format || !format.TryGetValue(out string? version) || !ReadableFormats.Contains(version))
            throw new InvalidDataException($"{path}: format is {Describe(report["format"])}, not \"{Format}\"");
        if (report["parent"] is not JsonObject made) throw new InvalidDataException($"{path}: has no \"parent\" object");
        if (made["architecture"] is JsonValue arch && arch.TryGetValue(out string? architecture) && architecture != parent.ArchitectureName)
            throw new InvalidDataException(
                $"{path}: parent.architecture is {architecture}; this map was made from another parent and cannot be replayed on {parent.ArchitectureName}");
        var expected = Shape(parent);
        if (made["shape"] is not JsonObject shape) throw new InvalidDataException($"{path}: has no parent.shape object");
        foreach (var (key, value) in expected)
            if (shape[key]?.ToJsonString() != value!.ToJsonString())
                throw new InvalidDataException(
                    $"{path}: parent.shape.{key} is {Describe(shape[key])} but this parent's is {value}; the map was made from another parent");

        var map = CloneMap.FromJsonNode(report["map"]!, path);
        map.Validate(parent, path);
        if (report["target"] is JsonObject target)
        {
            var listed = new Dictionary<string, int>
            {
                ["hidden"] = map.ResidualDims.Length, ["layers"] = map.LayerMap.Length, ["heads"] = map.Heads[0].Length,
                ["kv_heads"] = map.KvHeads[0].Length, ["ffn"] = map.FfnNeurons[0].Length,
            };
            foreach (var (key, count) in listed)
                if (target[key] is JsonNode recorded && recorded.ToJsonString() != count.ToString())
                    throw new InvalidDataException($"{path}: target.{key} is {Describe(recorded)} but the map keeps {count}");
        }
        string? warning = null;
        if (parentFingerprint is not null && made["sha256"] is JsonValue sha && sha.TryGetValue(out string? recordedSha) && recordedSha != parentFingerprint)
            warning = $"{path} was made from other weights of this shape (parent.sha256 {recordedSha[..Math.Min(12, recordedSha.Length)]}…, "
                + $"these are {parentFingerprint[..12]}…); replaying its indices on them";
        return (map, warning);
    }

    static JsonObject ReadReport(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path} is a directory; give the {FileName} file");
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message.Split('.')[0]})"); }
        catch (FileNotFoundException) { throw new InvalidDataException($"{path}: no such file"); }
        catch (IOException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
        if (node is not JsonObject report) throw new InvalidDataException($"{path}: a clone map is a JSON object, not {(node is null ? "null" : node is JsonArray ? "a list" : "a value")}");
        if (report["map"] is not JsonObject) throw new InvalidDataException($"{path}: has no \"map\" object");
        return report;
    }

    static string Describe(JsonNode? node) => node is null ? "missing" : OneLine.Escape(node.ToJsonString());
}
