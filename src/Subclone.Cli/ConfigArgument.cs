using Subclone.Checkpoints;
using Subclone.Checkpoints.Hub;
using Subclone.Models;

namespace Subclone.Cli;

/// <summary>
/// A model's config.json alone, for sizing a model (or a child of it) before fetching any weights: a bare
/// config.json file, a model directory's, or a Hub id's (only config.json is downloaded).
/// </summary>
public static class ConfigArgument
{
    /// <summary>The config <paramref name="spec"/> names, and the torch dtype the config declares (null when it declares none).</summary>
    public static (ModelConfig Config, string? Dtype) Load(CliIo io, string spec, bool quiet)
    {
        string path;
        if (File.Exists(spec)) path = spec;
        else if (Directory.Exists(spec))
        {
            path = Path.Combine(spec, HfCheckpoint.ConfigFile);
            if (!File.Exists(path)) throw new CheckpointException(spec, "has no config.json");
        }
        else if (string.Equals(spec, MiniLmModel.Name, StringComparison.OrdinalIgnoreCase))
            return (ModelSource.Load(spec).Model.Config, "float32");
        else if (ModelSource.HubIdOf(spec) is { } id)
            // The label prints with the first file fetched: a cached config prints nothing.
            path = Progress.Downloads(io, quiet, $"downloading {id}'s config.json from {io.Hub.Endpoint}", p => HubDownloader.ResolveConfig(id, io.Hub, p));
        else throw new CheckpointException(spec, "does not exist (expected a config.json, a model directory or a Hub id such as org/name)");
        var config = ModelConfig.Load(path);
        // transformers ≥ 4.56 writes "dtype", older versions "torch_dtype".
        string? dtype = (config.Raw["dtype"] ?? config.Raw["torch_dtype"]) is System.Text.Json.Nodes.JsonValue v
            && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;
        return (config, dtype);
    }
}
