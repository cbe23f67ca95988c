using Spectre.Console;

namespace Subclone.Cli.Commands;

/// <summary>subclone info MODEL [--json]: the shape of a model.</summary>
public static class InfoCommand
{
    public static Command Create(CliIo io)
    {
        var model = new Argument<string>("MODEL") { Description = "A Hugging Face model directory, a Hub id (org/name[@revision], downloaded to the Hugging Face cache), a llama2.c .bin file, or 'minilm' (the embedded all-MiniLM-L6-v2)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("info", "Show a model's architecture, widths, heads, layers, FFN, vocabulary, parameter count and dtype") { model, json };
        command.SetAction(r => io.Guard(() =>
        {
            string spec = r.GetValue(model)!;
            ModelConfig c;
            long parameters;
            TorchSharp.torch.ScalarType dtype;
            if (Directory.Exists(spec))
            {
                // Headers only: the shape of a model larger than memory is read without loading it.
                using var reader = CheckpointReader.Open(spec);
                (c, parameters, dtype) = (reader.Config, reader.Parameters.Sum(p => p.ElementCount), reader.StoredDtype);
            }
            else
            {
                var loaded = io.LoadModel(r, spec, r.GetValue(json));
                (c, parameters, dtype) = (loaded.Model.Config, loaded.Model.ParameterCount(), loaded.StoredDtype);
            }
            var info = new JsonObject
            {
                ["model"] = r.GetValue(model),
                ["architecture"] = c.ArchitectureName,
                ["model_type"] = c.ModelType,
                ["hidden"] = c.Hidden,
                ["layers"] = c.Layers,
                ["heads"] = c.Heads,
                ["kv_heads"] = c.KvHeads,
                ["head_dim"] = c.HeadDim,
                ["ffn"] = c.Ffn,
                ["vocab"] = c.Vocab,
                ["max_positions"] = c.MaxPositions,
                ["tied_embeddings"] = c.TieWordEmbeddings,
                ["params"] = parameters,
                ["dtype"] = SafeTensorsDtype.TorchName(dtype),
            };
            Output.KeyValues(io, r.GetValue(json), info);
            return 0;
        }));
        return command;
    }
}
