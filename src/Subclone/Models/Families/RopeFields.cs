using System.Text.Json.Nodes;
using Subclone.Checkpoints;

namespace Subclone.Models.Families;

/// <summary>Rotary config fields read until the Rotary package parses them: the base θ, and a refusal of any scaling.</summary>
internal static class RopeFields
{
    /// <summary>θ from rope_parameters.rope_theta (transformers v5) or the family's top-level field, default 10⁴.</summary>
    public static double Theta(ConfigReader r, JsonObject json, string path, string topLevelField) =>
        (json["rope_parameters"] is JsonObject rope ? new ConfigReader(rope, path).OptionalDouble("rope_theta") : null)
        ?? r.OptionalDouble(topLevelField) ?? 10000;

    /// <summary>Refuses rope_scaling / a non-default rope_parameters type, which would change the forward.</summary>
    public static void RefuseScaling(JsonObject json, string path)
    {
        if (json["rope_scaling"] is { } scaling)
            throw new CheckpointException(path, $"field 'rope_scaling' ({scaling.ToJsonString()}) is not supported for {json["model_type"]}");
        if (json["rope_parameters"] is JsonObject rope && rope["rope_type"] is { } type && type.ToString() != "default")
            throw new CheckpointException(path, $"field 'rope_parameters.rope_type' ({type}) is not supported for {json["model_type"]}");
    }
}
