using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Subclone.Cloning;
using Subclone.Models;

namespace Subclone.Cli.Commands;

/// <summary>
/// clone … --dry-run: the child's shape, parameter count and the cut (widths and the parent blocks kept), from the
/// parent's config.json alone, writing nothing, so a child of a 70B parent is sized before its weights are fetched.
/// Which residual dims, heads and neurons survive needs calibration; the counts and the blocks (except with
/// --depth influence) do not.
/// </summary>
public static class CloneDryRun
{
    /// <summary>Reports the plan for <paramref name="spec"/>; returns the exit code.</summary>
    public static int Run(CliIo io, ParseResult r, CloneOptionsBinder shape, Option<string?> mapOption, string spec, bool json)
    {
        var (parent, _) = ConfigArgument.Load(io, spec, json);
        var options = shape.Options(r);
        ModelConfig child;
        int[]? layers;
        if (r.GetValue(mapOption) is string mapPath)
        {
            var map = CloneReport.ReadMap(mapPath);
            map.Validate(parent, mapPath);
            (child, layers) = (Subcloner.ChildConfig(parent, map), map.LayerMap);
        }
        else
        {
            child = shape.Target(r, parent).Apply(parent);
            layers = options.Depth == DepthStrategy.Influence && options.KeepLayers is null && child.Layers <= parent.Layers
                ? null  // ranked by calibration
                : ClonePlanner.LayerMap(parent, child.Layers, null, options);
            // Apply already follows the default depth cut; the per-layer fields follow this map instead, from the parent's.
            if (layers is not null) child = (child with { Raw = parent.Raw }).WithLayerMap(layers, parent.Layers);
            // Which child blocks are sparse follows the kept blocks (Qwen3-MoE's mlp_only_layers).
            if (layers is not null && parent.Moe is { } pm && child.Moe is { } cm)
                child = child with { Moe = pm.ForLayers(layers) with { Experts = cm.Experts, TopK = cm.TopK, ExpertFfn = cm.ExpertFfn } };
        }

        var report = new JsonObject
        {
            ["dry_run"] = true,
            ["parent"] = Shape(parent),
            ["child"] = Shape(child),
            ["kept_layers"] = layers is null ? null : new JsonArray(layers.Select(l => (JsonNode?)l).ToArray()),
            ["scale"] = options.Scale,
        };
        if (json) { io.WriteJson(report); return 0; }
        var table = new Table().AddColumn("").AddColumn("parent").AddColumn("child").Border(TableBorder.Rounded);
        foreach (var (key, value) in (JsonObject)report["parent"]!)
            table.AddRow(key, value?.ToString() ?? "", report["child"]![key]?.ToString() ?? "");
        var console = Output.Console(io);
        console.Write(table);
        io.Out.WriteLine(layers is null
            ? "kept blocks: chosen by --depth influence after calibration"
            : $"kept blocks: {string.Join(",", layers)}");
        io.Out.WriteLine("dry run: nothing was written");
        return 0;
    }

    static JsonObject Shape(ModelConfig c)
    {
        var shape = new JsonObject
        {
            ["model_type"] = c.ModelType, ["hidden"] = c.Hidden, ["layers"] = c.Layers, ["heads"] = c.Heads, ["kv_heads"] = c.KvHeads,
            ["head_dim"] = c.HeadDim, ["ffn"] = c.Ffn, ["vocab"] = c.Vocab,
        };
        // Mixtures of experts: the expert cut (a dense child of an MoE parent has none of these keys).
        if (c.Moe is { } moe) { shape["experts"] = moe.Experts; shape["top_k"] = moe.TopK; shape["expert_ffn"] = moe.ExpertFfn; }
        shape["params"] = CloneTarget.ParameterCount(c);
        return shape;
    }
}
