using Subclone.Data.Tokenizers;

namespace Subclone.Cli.Commands;

/// <summary>subclone embed MODEL --text TEXT: a BERT model's mean-pooled, L2-normalised sentence embedding.</summary>
public static class EmbedCommand
{
    public static Command Create(CliIo io)
    {
        var model = new Argument<string>("MODEL") { Description = "A BERT model: HF directory with vocab.txt, a Hub id (org/name[@revision]), or 'minilm'" };
        var text = new Option<string>("--text") { Description = "The sentence to embed", Required = true };
        var json = new Option<bool>("--json") { Description = "Print {\"dims\":N,\"embedding\":[...]}" };
        var command = new Command("embed", "Sentence embedding with a BERT encoder (mean pooling, normalised)") { model, text, json };
        command.SetAction(r => io.Guard(() =>
        {
            var source = io.LoadModel(r, r.GetValue(model)!, r.GetValue(json));
            if (source.Model.Config.IsDecoder) throw new UserInputException($"{source.Origin} is a decoder; embed needs a BERT encoder");
            if (source.Tokenizer is not IEncoderTokenizer tokenizer) throw new UserInputException($"{source.Origin} has no vocab.txt to tokenise with");
            var batch = Subclone.Data.CalibrationSampler.EncoderBatches([r.GetValue(text)!], tokenizer.EncodeForModel, source.Model.Config.MaxPositions, 1)[0];
            using var _ = TorchSharp.torch.no_grad();
            using var embedding = Evaluation.SentenceEmbeddings(source.Model, batch);
            float[] values = embedding[0].data<float>().ToArray();
            if (r.GetValue(json))
                io.WriteJson(new JsonObject { ["dims"] = values.Length, ["embedding"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray()) });
            else
                io.Out.WriteLine(string.Join(" ", values.Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))));
            return 0;
        }));
        return command;
    }
}
