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
    /// <summary>The config file's name.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>The weight file of an unsharded model.</summary>
    public const string SingleFile = "model.safetensors";
    /// <summary>The index that lists a sharded model's weight files.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Files that travel with a model: tokenizers, generation defaults and image preprocessing.</summary>
    public static readonly string[] CompanionFiles =
    [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
        "vocab.txt", "tokenizer.model", "added_tokens.json", "generation_config.json", "preprocessor_config.json",
    ];

    /// <summary>
    /// Loads a model directory into a float32 model; NaN or Inf weights are refused unless <paramref name="allowNonFinite"/>,
    /// in which case they are loaded and reported as warnings.
    /// </summary>
    public static LoadedModel Load(string directory, bool allowNonFinite = false)
    {
        using var reader = CheckpointReader.Open(directory);
        reader.AllowNonFinite = allowNonFinite;
        var model = reader.Config.Family.CreateModel(reader.Config, withOptionalPart: reader.HasPooler);
        reader.Load(model);
        return new LoadedModel(model, directory, reader.StoredDtype,
            reader.NonFinite.Select(t => $"{directory}: tensor '{t}' contains NaN or Inf values").ToList());
    }

    /// <summary>The distinct shard files an index lists, in order; each must be a plain file name beside the index.</summary>
    public static IReadOnlyList<string> ShardNames(string indexPath) => CheckpointReader.ShardNames(indexPath);

    /// <summary>Builds a model of <paramref name="config"/> from float32 tensors with HF names (imports).</summary>
    public static TransformerModel FromTensors(ModelConfig config, IReadOnlyDictionary<string, Tensor> tensors, string origin)
    {
        bool pooler = config.Family.HasOptionalPart(tensors.Keys);
        var model = config.Family.CreateModel(config, withOptionalPart: pooler);
        var check = new WeightCheck(config, TransformerModel.ParameterShapes(config, pooler));
        var parameters = model.state_dict();
        using var _ = no_grad();
        foreach (var (name, tensor) in tensors)
            if (check.Accept(origin, name, tensor.dtype, tensor.shape) is string parameter)
                parameters[parameter].copy_(tensor);
        check.CheckComplete(origin);
        return model;
    }

    /// <summary>
    /// Writes the model as a Hugging Face directory. Everything is written into a temporary sibling directory
    /// that is renamed into place when complete, so an interrupted save never leaves a partial model.
    /// </summary>
    /// <param name="model">The model to write.</param>
    /// <param name="directory">The model directory to create.</param>
    /// <param name="dtype">The dtype the weights are stored in (float32, float16 or bfloat16).</param>
    /// <param name="companionSource">A directory whose tokenizer and generation files (<see cref="CompanionFiles"/>) are copied along.</param>
    /// <param name="overwrite">Replace <paramref name="directory"/> if it exists; otherwise its existence is an error.</param>
    /// <param name="maxShardBytes">Above this many bytes of weights, write numbered shards and an index, as HF does.</param>
    /// <param name="extraFiles">Further files to write beside the weights, by name and text content (e.g. clone_map.json).</param>
    /// <param name="copyFiles">Further files to copy in, from a source path to a name in the directory.</param>
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
