<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>QObject</name>
    <message>
        <location filename="../app/workbench/first_start.cpp" line="+36"/>
        <source>Making the demo model (Qwen3-MoE shape, random weights)…</source>
        <translation>Demo-Modell wird erstellt (Qwen3-MoE-Form, Zufallsgewichte)…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>First start</source>
        <translation>Erster Start</translation>
    </message>
    <message>
        <location filename="../app/workbench/main.cpp" line="+168"/>
        <source>Could not make the demo model: %1</source>
        <translation>Das Demo-Modell konnte nicht erstellt werden: %1</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Explain in one paragraph how a mixture-of-experts layer routes each token.</source>
        <translation>Erkläre in einem Absatz, wie eine Mixture-of-Experts-Schicht jedes Token weiterleitet.</translation>
    </message>
</context>
<context>
    <name>moeui::ChatPage</name>
    <message>
        <location filename="../ui/chat/chat_page.cpp" line="+77"/>
        <source>New chat</source>
        <translation>Neuer Chat</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Search conversations</source>
        <translation>Unterhaltungen durchsuchen</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Editing a message: Send replaces it and every message after it. Esc cancels.</source>
        <translation>Nachricht wird bearbeitet: „Senden“ ersetzt sie und alle folgenden Nachrichten. Esc bricht ab.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Message (Ctrl+Enter to send)</source>
        <translation>Nachricht (Strg+Eingabe zum Senden)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Send</source>
        <translation>Senden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop</source>
        <translation>Stopp</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>System prompt</source>
        <translation>System-Prompt</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Optional instructions for the model</source>
        <translation>Optionale Anweisungen an das Modell</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Sampling</source>
        <translation>Sampling</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>0 = greedy (always the most likely token)</source>
        <translation>0 = Greedy (immer das wahrscheinlichste Token)</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+2"/>
        <source>0 = off</source>
        <translation>0 = aus</translation>
    </message>
    <message>
        <location line="-1"/>
        <location line="+2"/>
        <source>1 = off</source>
        <translation>1 = aus</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Same seed and inputs give the same answer</source>
        <translation>Gleicher Seed und gleiche Eingaben ergeben dieselbe Antwort</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Temperature</source>
        <translation>Temperatur</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Repetition penalty</source>
        <translation>Wiederholungsstrafe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Max tokens</source>
        <translation>Max. Tokens</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ignore end of text</source>
        <translation>Textende ignorieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Keep generating up to Max tokens (for speed measurements)</source>
        <translation>Bis „Max. Tokens“ weitergenerieren (für Geschwindigkeitsmessungen)</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>Rename…</source>
        <translation>Umbenennen…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Rename conversation</source>
        <translation>Unterhaltung umbenennen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Title:</source>
        <translation>Titel:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete conversation</source>
        <translation>Unterhaltung löschen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Delete “%1” and all its messages?</source>
        <translation>„%1“ und alle zugehörigen Nachrichten löschen?</translation>
    </message>
    <message>
        <location line="+87"/>
        <source>No model is loaded. Load one with Model → Load model… (Ctrl+O).</source>
        <translation>Es ist kein Modell geladen. Laden Sie eines über Modell → Modell laden… (Strg+O).</translation>
    </message>
    <message numerus="yes">
        <location line="+120"/>
        <source>The conversation is longer than the context: the oldest %n message(s) were left out.</source>
        <translation>
            <numerusform>Die Unterhaltung ist länger als der Kontext: Die älteste Nachricht wurde weggelassen.</numerusform>
            <numerusform>Die Unterhaltung ist länger als der Kontext: Die ältesten %n Nachrichten wurden weggelassen.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+20"/>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Load a model first</source>
        <translation>Zuerst ein Modell laden</translation>
    </message>
</context>
<context>
    <name>moeui::ConversationListModel</name>
    <message>
        <location filename="../ui/chat/conversation_list_model.cpp" line="+21"/>
        <source>(untitled)</source>
        <translation>(ohne Titel)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1
model: %2
last change: %3</source>
        <translation>%1
Modell: %2
Letzte Änderung: %3</translation>
    </message>
</context>
<context>
    <name>moeui::EngineController</name>
    <message>
        <location filename="../ui/engine_controller.cpp" line="+48"/>
        <source>end of text</source>
        <translation>Textende</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stop string</source>
        <translation>Stopp-String</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>token limit</source>
        <translation>Token-Limit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stopped</source>
        <translation>angehalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>context full</source>
        <translation>Kontext voll</translation>
    </message>
    <message>
        <location line="+163"/>
        <source>%1: out of memory while loading the model</source>
        <translation>%1: Nicht genügend Speicher beim Laden des Modells</translation>
    </message>
    <message>
        <location line="+92"/>
        <source>out of memory while generating</source>
        <translation>nicht genügend Speicher beim Generieren</translation>
    </message>
    <message>
        <location line="+77"/>
        <source>out of memory while profiling</source>
        <translation>nicht genügend Speicher beim Profiling</translation>
    </message>
</context>
<context>
    <name>moeui::ExpertCountDiffModel</name>
    <message>
        <location filename="../ui/runs/expert_count_diff_model.cpp" line="+69"/>
        <source>Expert %1 of MoE layer %2
A: %3 (%4% of the layer)
B: %5 (%6% of the layer)</source>
        <translation>Experte %1 der MoE-Schicht %2
A: %3 (%4 % der Schicht)
B: %5 (%6 % der Schicht)</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>E%1</source>
        <translation>E%1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>L%1</source>
        <translation>S%1</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>MoE %1</source>
        <translation>MoE %1</translation>
    </message>
</context>
<context>
    <name>moeui::ExpertHeatmapModel</name>
    <message>
        <location filename="../ui/experts/expert_heatmap_model.cpp" line="+60"/>
        <source>layer %1, expert %2: %3 tokens (%4 % of the layer)</source>
        <translation>Schicht %1, Experte %2: %3 Tokens (%4 % der Schicht)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>held by device(s) %1</source>
        <translation>liegt auf Gerät(en) %1</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>decoder layer %1 (MoE layer %2)</source>
        <translation>Decoder-Schicht %1 (MoE-Schicht %2)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>expert %1</source>
        <translation>Experte %1</translation>
    </message>
</context>
<context>
    <name>moeui::ExpertHeatmapView</name>
    <message>
        <location filename="../ui/experts/expert_heatmap_view.cpp" line="+27"/>
        <source>Expert</source>
        <translation>Experte</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Layer</source>
        <translation>Schicht</translation>
    </message>
    <message>
        <location line="+59"/>
        <source>tokens / layer&apos;s busiest expert</source>
        <translation>Tokens / meistgenutzter Experte der Schicht</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>tokens / busiest expert overall</source>
        <translation>Tokens / meistgenutzter Experte insgesamt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No routing data yet: load a model and send a message</source>
        <translation>Noch keine Routing-Daten: Laden Sie ein Modell und senden Sie eine Nachricht</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No steps in this source yet</source>
        <translation>Noch keine Schritte in dieser Quelle</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>EP%1</source>
        <translation>EP%1</translation>
    </message>
</context>
<context>
    <name>moeui::ExpertsPage</name>
    <message>
        <location filename="../ui/experts/experts_page.cpp" line="+61"/>
        <location line="+242"/>
        <source>This step</source>
        <translation>Dieser Schritt</translation>
    </message>
    <message>
        <location line="-241"/>
        <source>Last steps</source>
        <translation>Letzte Schritte</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+242"/>
        <source>Whole conversation</source>
        <translation>Gesamte Unterhaltung</translation>
    </message>
    <message>
        <location line="-241"/>
        <source>Saved run</source>
        <translation>Gespeicherter Lauf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Which routing decisions the heatmap counts</source>
        <translation>Welche Routing-Entscheidungen die Heatmap zählt</translation>
    </message>
    <message>
        <location line="+6"/>
        <source> steps</source>
        <translation> Schritte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Length of the sliding window, in engine steps (a prefill is one step)</source>
        <translation>Länge des gleitenden Fensters in Engine-Schritten (ein Prefill ist ein Schritt)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Per layer</source>
        <translation>Pro Schicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Global</source>
        <translation>Global</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Per layer: each layer&apos;s busiest expert is the brightest colour. Global: the busiest cell of the table is.</source>
        <translation>Pro Schicht: Der meistgenutzte Experte jeder Schicht erhält die hellste Farbe. Global: Die meistgenutzte Zelle der Tabelle erhält sie.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show placement</source>
        <translation>Platzierung anzeigen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Mark which EP group (devices) holds each expert, when the model is sharded</source>
        <translation>Markiert, welche EP-Gruppe (Geräte) jeden Experten hält, wenn das Modell aufgeteilt ist</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Clear</source>
        <translation>Zurücksetzen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start counting the conversation afresh</source>
        <translation>Die Zählung für die Unterhaltung neu beginnen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Source:</source>
        <translation>Quelle:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Normalise:</source>
        <translation>Normierung:</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Chart</source>
        <translation>Diagramm</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Table</source>
        <translation>Tabelle</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Imbalance per layer</source>
        <translation>Ungleichgewicht pro Schicht</translation>
    </message>
    <message>
        <location line="+15"/>
        <location line="+103"/>
        <source>Send a message in the chat; then click a token of the answer to see its experts.</source>
        <translation>Senden Sie eine Nachricht im Chat und klicken Sie dann auf ein Token der Antwort, um seine Experten zu sehen.</translation>
    </message>
    <message>
        <location line="-89"/>
        <source>Per token (last answer)</source>
        <translation>Pro Token (letzte Antwort)</translation>
    </message>
    <message>
        <location line="+123"/>
        <source>No tokens in the cache.</source>
        <translation>Keine Tokens im Cache.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Token “%1” (id %2, position %3): top-%4 experts and gate weights in every MoE layer</source>
        <translation>Token „%1“ (ID %2, Position %3): Top-%4-Experten und Gate-Gewichte in jeder MoE-Schicht</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Last %1 steps</source>
        <translation>Letzte %1 Schritte</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Saved run “%1” (%2, %3)</source>
        <translation>Gespeicherter Lauf „%1“ (%2, %3)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>1 step</source>
        <translation>1 Schritt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>%1 steps</source>
        <translation>%1 Schritte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 tokens</source>
        <translation>%1 Tokens</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 MoE layers × %2 experts, top-%3</source>
        <translation>%1 MoE-Schichten × %2 Experten, Top-%3</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>no model loaded</source>
        <translation>kein Modell geladen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>random weights (a generated demo model): routing shows the mechanics, not what a trained model prefers</source>
        <translation>Zufallsgewichte (ein generiertes Demo-Modell): Das Routing zeigt die Mechanik, nicht die Vorlieben eines trainierten Modells</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>EP%1 = device(s) %2</source>
        <translation>EP%1 = Gerät(e) %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Placement (%1): %2</source>
        <translation>Platzierung (%1): %2</translation>
    </message>
</context>
<context>
    <name>moeui::ImbalanceChart</name>
    <message>
        <location filename="../ui/experts/imbalance_chart.cpp" line="+14"/>
        <source>Layer</source>
        <translation>Schicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>max / mean load</source>
        <translation>Max. / mittlere Last</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>normalised entropy</source>
        <translation>normierte Entropie</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>max / mean (1 = even)</source>
        <translation>Max. / Mittel (1 = gleichmäßig)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>normalised entropy (1 = even)</source>
        <translation>normierte Entropie (1 = gleichmäßig)</translation>
    </message>
</context>
<context>
    <name>moeui::InterconnectPage</name>
    <message>
        <location filename="../ui/interconnect/interconnect_page.cpp" line="+44"/>
        <source>Whole session</source>
        <translation>Gesamte Sitzung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last step</source>
        <translation>Letzter Schritt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Which steps the heatmap and the link table add up</source>
        <translation>Welche Schritte die Heatmap und die Link-Tabelle aufsummieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Bytes</source>
        <translation>Bytes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GB/s</source>
        <translation>GB/s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Log scale</source>
        <translation>Log-Skala</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bytes per step on a logarithmic axis: prefill and decode steps side by side</source>
        <translation>Bytes pro Schritt auf logarithmischer Achse: Prefill- und Decode-Schritte nebeneinander</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Clear</source>
        <translation>Zurücksetzen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Forget the traffic counted so far</source>
        <translation>Den bisher gezählten Datenverkehr verwerfen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Window:</source>
        <translation>Fenster:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Heatmap:</source>
        <translation>Heatmap:</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Traffic between devices</source>
        <translation>Datenverkehr zwischen Geräten</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Link utilisation</source>
        <translation>Link-Auslastung</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Bytes per step</source>
        <translation>Bytes pro Schritt</translation>
    </message>
    <message>
        <location line="+88"/>
        <source>To see traffic, load the model with &lt;b&gt;cpu:N&lt;/b&gt; devices and &lt;b&gt;TP&lt;/b&gt; or &lt;b&gt;EP&lt;/b&gt; &amp;gt; 1 in the load dialog (for example cpu:2 with TP 2), or on a machine with several GPUs pick them there.</source>
        <translation>Um Datenverkehr zu sehen, laden Sie das Modell im Ladedialog mit &lt;b&gt;cpu:N&lt;/b&gt;-Geräten und &lt;b&gt;TP&lt;/b&gt; oder &lt;b&gt;EP&lt;/b&gt; &amp;gt; 1 (zum Beispiel cpu:2 mit TP 2); auf einem Rechner mit mehreren GPUs wählen Sie diese dort aus.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No model is loaded.</source>
        <translation>Es ist kein Modell geladen.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>“%1” runs on one device, so nothing crosses an interconnect.</source>
        <translation>„%1“ läuft auf einem Gerät, daher fließt nichts über einen Interconnect.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No interconnect traffic</source>
        <translation>Kein Interconnect-Datenverkehr</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>&lt;b&gt;Virtual devices.&lt;/b&gt; These are virtual CPU devices in one process: the bytes are really copied between them and counted exactly, but every time, GB/s and utilisation figure is &lt;b&gt;estimated&lt;/b&gt; on the %1 link model (%2 GB/s per direction), not measured on hardware.</source>
        <translation>&lt;b&gt;Virtuelle Geräte.&lt;/b&gt; Dies sind virtuelle CPU-Geräte in einem Prozess: Die Bytes werden tatsächlich zwischen ihnen kopiert und exakt gezählt, aber alle Zeit-, GB/s- und Auslastungswerte sind anhand des Link-Modells %1 (%2 GB/s pro Richtung) &lt;b&gt;geschätzt&lt;/b&gt;, nicht auf Hardware gemessen.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>%1 devices (TP %2 × EP %3)</source>
        <translation>%1 Geräte (TP %2 × EP %3)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 devices</source>
        <translation>%1 Geräte</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>waiting for the first step: send a message in the chat</source>
        <translation>Warten auf den ersten Schritt: Senden Sie eine Nachricht im Chat</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>1 step in the session</source>
        <translation>1 Schritt in der Sitzung</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>%1 steps in the session</source>
        <translation>%1 Schritte in der Sitzung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 moved in the session</source>
        <translation>%1 in der Sitzung übertragen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 in collectives (estimated) over the window</source>
        <translation>%1 in kollektiven Operationen (geschätzt) im Fenster</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 in collectives over the window</source>
        <translation>%1 in kollektiven Operationen im Fenster</translation>
    </message>
</context>
<context>
    <name>moeui::LayerImbalanceModel</name>
    <message>
        <location filename="../ui/experts/layer_imbalance_model.cpp" line="+89"/>
        <source>Layer</source>
        <translation>Schicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Max / mean</source>
        <translation>Max. / Mittel</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Entropy</source>
        <translation>Entropie</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CV</source>
        <translation>VK</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Overflow</source>
        <translation>Überlauf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Assignments</source>
        <translation>Zuweisungen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Decoder-layer index</source>
        <translation>Index der Decoder-Schicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Load of the busiest expert over the mean load (1 = perfectly even)</source>
        <translation>Last des meistgenutzten Experten geteilt durch die mittlere Last (1 = völlig gleichmäßig)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Entropy of the load distribution over log(experts) (1 = perfectly even)</source>
        <translation>Entropie der Lastverteilung geteilt durch log(Experten) (1 = völlig gleichmäßig)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Standard deviation over mean of the expert loads</source>
        <translation>Variationskoeffizient: Standardabweichung geteilt durch den Mittelwert der Expertenlasten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Share of token assignments past the capacity (capacity factor %1 × the even share)</source>
        <translation>Anteil der Token-Zuweisungen oberhalb der Kapazität (Kapazitätsfaktor %1 × gleichmäßiger Anteil)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Token → expert assignments counted (tokens × top-k)</source>
        <translation>Gezählte Zuweisungen Token → Experte (Tokens × Top-k)</translation>
    </message>
</context>
<context>
    <name>moeui::LayoutOptionsModel</name>
    <message>
        <location filename="../ui/planner/layout_options_model.cpp" line="+52"/>
        <source>%1 spare</source>
        <translation>%1 frei</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Layout family</source>
        <translation>Layout-Familie</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GPUs</source>
        <translation>GPUs</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Layout</source>
        <translation>Layout</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>$ / hour</source>
        <translation>$ / Stunde</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>$ / M tokens</source>
        <translation>$ / Mio. Tokens</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Decode, whole batch</source>
        <translation>Decode, ganzer Batch</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Margin / GPU</source>
        <translation>Reserve / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Max sequences</source>
        <translation>Max. Sequenzen</translation>
    </message>
</context>
<context>
    <name>moeui::LinkUtilisationModel</name>
    <message>
        <location filename="../ui/interconnect/link_utilisation_model.cpp" line="+78"/>
        <source>estimated</source>
        <translation>geschätzt</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>device %1 → device %2</source>
        <translation>Gerät %1 → Gerät %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+3"/>
        <location line="+8"/>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <location line="-9"/>
        <location line="+3"/>
        <source>%1 GB/s</source>
        <translation>%1 GB/s</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>estimated (link model)</source>
        <translation>geschätzt (Link-Modell)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>measured</source>
        <translation>gemessen</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Virtual CPU devices: the bytes were really copied, but the time is what the %1 link model predicts for them, not a measurement.</source>
        <translation>Virtuelle CPU-Geräte: Die Bytes wurden tatsächlich kopiert, die Zeit ist jedoch die Vorhersage des Link-Modells %1, keine Messung.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Measured wall time inside the collectives of this window.</source>
        <translation>Gemessene Echtzeit innerhalb der kollektiven Operationen dieses Fensters.</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Link</source>
        <translation>Link</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bytes</source>
        <translation>Bytes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Achieved</source>
        <translation>Erreicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Link bandwidth</source>
        <translation>Link-Bandbreite</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Utilisation</source>
        <translation>Auslastung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Basis</source>
        <translation>Grundlage</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Time spent in collectives over the window</source>
        <translation>Zeit in kollektiven Operationen im Fenster</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bytes over the time, in GB/s (10^9 bytes per second)</source>
        <translation>Bytes geteilt durch die Zeit, in GB/s (10^9 Bytes pro Sekunde)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Per direction, of the %1 link</source>
        <translation>Pro Richtung, für den Link %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Achieved rate over the link bandwidth</source>
        <translation>Erreichte Rate geteilt durch die Link-Bandbreite</translation>
    </message>
</context>
<context>
    <name>moeui::LoadModelDialog</name>
    <message>
        <location filename="../ui/load_dialog.cpp" line="+69"/>
        <source>Load model</source>
        <translation>Modell laden</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>A .gguf file or a Hugging Face model folder</source>
        <translation>Eine .gguf-Datei oder ein Hugging-Face-Modellordner</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>File…</source>
        <translation>Datei…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Folder…</source>
        <translation>Ordner…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Recent models…</source>
        <translation>Letzte Modelle…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Choose a model to see what it is before loading it.</source>
        <translation>Wählen Sie ein Modell, um vor dem Laden zu sehen, worum es sich handelt.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Attention</source>
        <translation>Attention</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Experts</source>
        <translation>Experten</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Replicated</source>
        <translation>Repliziert</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Total</source>
        <translation>Gesamt</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Run options</source>
        <translation>Ausführungsoptionen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Automatic (a GPU when one can run the model, else the CPU)</source>
        <translation>Automatisch (eine GPU, wenn sie das Modell ausführen kann, sonst die CPU)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Where the model runs. GPUs appear once the CUDA driver has answered.</source>
        <translation>Wo das Modell läuft. GPUs erscheinen, sobald der CUDA-Treiber geantwortet hat.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run on</source>
        <translation>Ausführen auf</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>all cores (%1)</source>
        <translation>alle Kerne (%1)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Threads</source>
        <translation>Threads</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>CPU virtual devices: the model is split as on that many GPUs, with real data moved between them and the traffic counted</source>
        <translation>Virtuelle CPU-Geräte: Das Modell wird wie auf entsprechend vielen GPUs aufgeteilt, wobei echte Daten zwischen ihnen übertragen und der Datenverkehr gezählt wird</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>CPU devices</source>
        <translation>CPU-Geräte</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Tensor parallel (TP)</source>
        <translation>Tensor-Parallelität (TP)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Expert parallel (EP)</source>
        <translation>Experten-Parallelität (EP)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>contiguous</source>
        <translation>zusammenhängend</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>round-robin</source>
        <translation>Round-Robin</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Expert placement</source>
        <translation>Experten-Platzierung</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>NVLink 4 (450 GB/s per direction)</source>
        <translation>NVLink 4 (450 GB/s pro Richtung)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PCIe Gen5 x16</source>
        <translation>PCIe Gen5 x16</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PCIe Gen4 x16</source>
        <translation>PCIe Gen4 x16</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The link the traffic estimate of virtual devices assumes</source>
        <translation>Der Link, den die Datenverkehrsschätzung für virtuelle Geräte annimmt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Modelled link</source>
        <translation>Modellierter Link</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>default (model&apos;s, at most 4096)</source>
        <translation>Standard (des Modells, höchstens 4096)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Context length</source>
        <translation>Kontextlänge</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>as stored in the file</source>
        <translation>wie in der Datei gespeichert</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Quantize F32 / F16 / BF16 weights while loading (routers and norms stay high precision; tensors already quantized are kept). See `moe eval-quant` for the quality cost.</source>
        <translation>F32-/F16-/BF16-Gewichte beim Laden quantisieren (Router und Normierungen behalten hohe Genauigkeit; bereits quantisierte Tensoren bleiben unverändert). Die Qualitätskosten zeigt `moe eval-quant`.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Quantize at load</source>
        <translation>Beim Laden quantisieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>looking for NVIDIA GPUs…</source>
        <translation>Suche nach NVIDIA-GPUs…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>GPUs</source>
        <translation>GPUs</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>none found (%1)</source>
        <translation>keine gefunden (%1)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>cuda:%1 %2 (%3)</source>
        <translation>cuda:%1 %2 (%3)</translation>
    </message>
    <message>
        <location line="+12"/>
        <source> — listed for planning; models run on the CPU (no CUDA backend)</source>
        <translation> — zur Planung aufgeführt; Modelle laufen auf der CPU (kein CUDA-Backend)</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Load</source>
        <translation>Laden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancel load</source>
        <translation>Laden abbrechen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Open GGUF model</source>
        <translation>GGUF-Modell öffnen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF-Modelle (*.gguf);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Open Hugging Face model folder</source>
        <translation>Hugging-Face-Modellordner öffnen</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source> · about %1 left</source>
        <translation> · noch etwa %1</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Loaded %1 in %2</source>
        <translation>%1 in %2 geladen</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Load cancelled; no model is loaded.</source>
        <translation>Laden abgebrochen; es ist kein Modell geladen.</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Reading %1…</source>
        <translation>%1 wird gelesen…</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Cannot use this model.</source>
        <translation>Dieses Modell kann nicht verwendet werden.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>&lt;b&gt;%1&lt;/b&gt; — %2, %3 layers, %4 experts (top-%5)</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; — %2, %3 Schichten, %4 Experten (Top-%5)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>&lt;br&gt;%1 parameters, %2 active per token · %3 of weights (%4) · %5</source>
        <translation>&lt;br&gt;%1 Parameter, %2 aktiv pro Token · %3 Gewichte (%4) · %5</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&lt;br&gt;context up to %1 tokens</source>
        <translation>&lt;br&gt;Kontext bis zu %1 Tokens</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&lt;br&gt;&lt;i&gt;Random weights (a demo / test model): its answers are meaningless.&lt;/i&gt;</source>
        <translation>&lt;br&gt;&lt;i&gt;Zufallsgewichte (ein Demo-/Testmodell): Seine Antworten sind bedeutungslos.&lt;/i&gt;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&lt;br&gt;&lt;span style=&apos;color:#b00020&apos;&gt;The engine cannot run this model (see `moe info`).&lt;/span&gt;</source>
        <translation>&lt;br&gt;&lt;span style=&apos;color:#b00020&apos;&gt;Die Engine kann dieses Modell nicht ausführen (siehe `moe info`).&lt;/span&gt;</translation>
    </message>
    <message>
        <location line="+92"/>
        <source>Plan: %1 device(s), TP %2 × EP %3 · %4 in all (weights at the file&apos;s %5 bytes/weight, F32 KV cache of %6 tokens)</source>
        <translation>Plan: %1 Gerät(e), TP %2 × EP %3 · %4 insgesamt (Gewichte mit den %5 Bytes/Gewicht der Datei, F32-KV-Cache für %6 Tokens)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>&lt;br&gt;&lt;span style=&apos;color:#1b7f3b&apos;&gt;Fits: cuda:%2 has %1 of memory.&lt;/span&gt;</source>
        <translation>&lt;br&gt;&lt;span style=&apos;color:#1b7f3b&apos;&gt;Passt: cuda:%2 hat %1 Speicher.&lt;/span&gt;</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&lt;br&gt;&lt;span style=&apos;color:#1b7f3b&apos;&gt;Fits: %1 of memory available.&lt;/span&gt;</source>
        <translation>&lt;br&gt;&lt;span style=&apos;color:#1b7f3b&apos;&gt;Passt: %1 Speicher verfügbar.&lt;/span&gt;</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&lt;br&gt;&lt;span style=&apos;color:#b00020&apos;&gt;Does not fit: %1 available, short by %2.&lt;/span&gt;</source>
        <translation>&lt;br&gt;&lt;span style=&apos;color:#b00020&apos;&gt;Passt nicht: %1 verfügbar, es fehlen %2.&lt;/span&gt;</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>Starting…</source>
        <translation>Wird gestartet…</translation>
    </message>
</context>
<context>
    <name>moeui::MainWindow</name>
    <message>
        <location filename="../app/workbench/main_window.cpp" line="+28"/>
        <source>Chat</source>
        <translation>Chat</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Experts</source>
        <translation>Experten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Interconnect</source>
        <translation>Interconnect</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Planner</source>
        <translation>Planer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Runs</source>
        <translation>Läufe</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>MoE Workbench</source>
        <translation>MoE Workbench</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>&amp;Model</source>
        <translation>&amp;Modell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Load model…</source>
        <translation>Modell &amp;laden…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Unload</source>
        <translation>&amp;Entladen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;About MoE Workbench</source>
        <translation>&amp;Über MoE Workbench</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>About MoE Workbench</source>
        <translation>Über MoE Workbench</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&lt;b&gt;MoE Workbench %1&lt;/b&gt;&lt;p&gt;Chat with local Mixture-of-Experts models, watch how tokens are routed to experts and plan deployments.&lt;/p&gt;</source>
        <translation>&lt;b&gt;MoE Workbench %1&lt;/b&gt;&lt;p&gt;Chatten Sie mit lokalen Mixture-of-Experts-Modellen, beobachten Sie, wie Tokens an Experten geleitet werden, und planen Sie Deployments.&lt;/p&gt;</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>The store could not be opened, so chats, runs and scenarios are not saved this session (the file was left untouched): %1</source>
        <translation>Der Datenspeicher konnte nicht geöffnet werden, daher werden Chats, Läufe und Szenarien in dieser Sitzung nicht gespeichert (die Datei blieb unverändert): %1</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Ready</source>
        <translation>Bereit</translation>
    </message>
</context>
<context>
    <name>moeui::MemoryChart</name>
    <message>
        <location filename="../ui/planner/memory_chart.cpp" line="+29"/>
        <source>Weights</source>
        <translation>Gewichte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>KV cache</source>
        <translation>KV-Cache</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Activations</source>
        <translation>Aktivierungen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Overhead (CUDA context, workspace)</source>
        <translation>Overhead (CUDA-Kontext, Workspace)</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>GB per GPU</source>
        <translation>GB pro GPU</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Usable memory (GPU memory × usable fraction)</source>
        <translation>Nutzbarer Speicher (GPU-Speicher × nutzbarer Anteil)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>GPU memory</source>
        <translation>GPU-Speicher</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>invalid</source>
        <translation>ungültig</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>fits, %1 spare
usable %2 of %3</source>
        <translation>passt, %1 frei
nutzbar: %2 von %3</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>short by %1
usable %2 of %3</source>
        <translation>es fehlen %1
nutzbar: %2 von %3</translation>
    </message>
</context>
<context>
    <name>moeui::MessageListModel</name>
    <message>
        <location filename="../ui/chat/message_list_model.cpp" line="+16"/>
        <source>generating…</source>
        <translation>wird generiert…</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n Token</numerusform>
            <numerusform>%n Tokens</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source> · %1 to first token</source>
        <translation> · %1 bis zum ersten Token</translation>
    </message>
</context>
<context>
    <name>moeui::MessageView</name>
    <message>
        <location filename="../ui/chat/message_view.cpp" line="+46"/>
        <source>No messages yet. Type below and press Ctrl+Enter (or Send).</source>
        <translation>Noch keine Nachrichten. Tippen Sie unten und drücken Sie Strg+Eingabe (oder „Senden“).</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Copy the message as Markdown</source>
        <translation>Die Nachricht als Markdown kopieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Edit</source>
        <translation>Bearbeiten</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit this message and resend it (later messages are replaced)</source>
        <translation>Diese Nachricht bearbeiten und erneut senden (spätere Nachrichten werden ersetzt)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Regenerate</source>
        <translation>Neu generieren</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Generate this answer again</source>
        <translation>Diese Antwort erneut generieren</translation>
    </message>
    <message>
        <location line="+80"/>
        <source>You</source>
        <translation>Sie</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Assistant</source>
        <translation>Assistent</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>System</source>
        <translation>System</translation>
    </message>
</context>
<context>
    <name>moeui::ModelBar</name>
    <message>
        <location filename="../ui/model_bar.cpp" line="+29"/>
        <source>Loaded model</source>
        <translation>Geladenes Modell</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Devices and parallel layout</source>
        <translation>Geräte und paralleles Layout</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Weight type holding most of the model&apos;s bytes</source>
        <translation>Gewichtstyp, der die meisten Bytes des Modells ausmacht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Memory the model holds (weights + KV cache), all devices</source>
        <translation>Vom Modell belegter Speicher (Gewichte + KV-Cache), alle Geräte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Decode speed of the last step</source>
        <translation>Decode-Geschwindigkeit des letzten Schritts</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Load model…</source>
        <translation>Modell laden…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unload</source>
        <translation>Entladen</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Loading %1…</source>
        <translation>%1 wird geladen…</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>No model loaded</source>
        <translation>Kein Modell geladen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source> (random weights)</source>
        <translation> (Zufallsgewichte)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>cpu:%1 · TP %2 × EP %3 · %4</source>
        <translation>cpu:%1 · TP %2 × EP %3 · %4</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>cpu:%1</source>
        <translation>cpu:%1</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>CPU, one device</source>
        <translation>CPU, ein Gerät</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1
Automatic chose the CPU: %2</source>
        <translation>%1
Automatisch wurde die CPU gewählt: %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 (quantized at load)</source>
        <translation>%1 (beim Laden quantisiert)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>– tok/s</source>
        <translation>– tok/s</translation>
    </message>
</context>
<context>
    <name>moeui::Placement</name>
    <message>
        <location filename="../ui/format.cpp" line="+60"/>
        <source>contiguous</source>
        <translation>zusammenhängend</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>round-robin</source>
        <translation>Round-Robin</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>balanced</source>
        <translation>ausgewogen</translation>
    </message>
</context>
<context>
    <name>moeui::PlanForm</name>
    <message>
        <location filename="../ui/planner/plan_form.cpp" line="+68"/>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>File…</source>
        <translation>Datei…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Plan a model on disk: a config.json, a .gguf file or a model folder&apos;s config</source>
        <translation>Ein Modell auf der Festplatte planen: eine config.json, eine .gguf-Datei oder die Konfiguration eines Modellordners</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 (%2 bits/weight)</source>
        <translation>%1 (%2 Bit/Gewicht)</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>DP attention (replicas share the MoE layers)</source>
        <translation>DP-Attention (Replikate teilen sich die MoE-Schichten)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tensor parallel: attention and dense layers sharded over this many GPUs</source>
        <translation>Tensor-Parallelität: Attention und dichte Schichten auf so viele GPUs aufgeteilt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Expert parallel: the routed experts split into this many groups</source>
        <translation>Experten-Parallelität: die gerouteten Experten in so viele Gruppen aufgeteilt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pipeline parallel: the layers split into this many stages</source>
        <translation>Pipeline-Parallelität: die Schichten in so viele Stufen aufgeteilt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Data parallel replicas</source>
        <translation>Datenparallele Replikate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>TP</source>
        <translation>TP</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>EP</source>
        <translation>EP</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>PP</source>
        <translation>PP</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>DP</source>
        <translation>DP</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+3"/>
        <source> tokens</source>
        <translation> Tokens</translation>
    </message>
    <message>
        <location line="-1"/>
        <source>half the context</source>
        <translation>halber Kontext</translation>
    </message>
    <message>
        <location line="+3"/>
        <source> sequences</source>
        <translation> Sequenzen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source> / GPU-hour</source>
        <translation> / GPU-Stunde</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>none</source>
        <translation>keiner</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A benchmark score: adds $ per million tokens per quality point</source>
        <translation>Ein Benchmark-Score: ergänzt $ pro Million Tokens pro Qualitätspunkt</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+2"/>
        <source> MiB</source>
        <translation> MiB</translation>
    </message>
    <message>
        <location line="+21"/>
        <location line="+315"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location line="-314"/>
        <location line="+315"/>
        <source>Weights</source>
        <translation>Gewichte</translation>
    </message>
    <message>
        <location line="-314"/>
        <location line="+315"/>
        <source>KV cache</source>
        <translation>KV-Cache</translation>
    </message>
    <message>
        <location line="-314"/>
        <location line="+315"/>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <location line="-314"/>
        <location line="+315"/>
        <location line="+1"/>
        <source>GPUs</source>
        <translation>GPUs</translation>
    </message>
    <message>
        <location line="-315"/>
        <location line="+316"/>
        <source>Interconnect</source>
        <translation>Interconnect</translation>
    </message>
    <message>
        <location line="-315"/>
        <source>Parallelism</source>
        <translation>Parallelität</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+320"/>
        <source>Context</source>
        <translation>Kontext</translation>
    </message>
    <message>
        <location line="-319"/>
        <location line="+320"/>
        <source>Prompt</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location line="-319"/>
        <location line="+320"/>
        <source>Batch</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location line="-319"/>
        <location line="+320"/>
        <source>Price</source>
        <translation>Preis</translation>
    </message>
    <message>
        <location line="-319"/>
        <location line="+320"/>
        <source>Score</source>
        <translation>Score</translation>
    </message>
    <message>
        <location line="-318"/>
        <source>Runtime overheads</source>
        <translation>Laufzeit-Overhead</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+306"/>
        <source>Between nodes</source>
        <translation>Zwischen Knoten</translation>
    </message>
    <message>
        <location line="-305"/>
        <location line="+316"/>
        <source>Usable memory</source>
        <translation>Nutzbarer Speicher</translation>
    </message>
    <message>
        <location line="-315"/>
        <location line="+316"/>
        <source>Bandwidth efficiency</source>
        <translation>Bandbreiteneffizienz</translation>
    </message>
    <message>
        <location line="-315"/>
        <location line="+316"/>
        <source>Compute efficiency</source>
        <translation>Recheneffizienz</translation>
    </message>
    <message>
        <location line="-315"/>
        <location line="+316"/>
        <source>Max batched tokens</source>
        <translation>Max. Tokens pro Batch</translation>
    </message>
    <message>
        <location line="-315"/>
        <location line="+316"/>
        <source>CUDA context</source>
        <translation>CUDA-Kontext</translation>
    </message>
    <message>
        <location line="-315"/>
        <location line="+316"/>
        <source>Workspace</source>
        <translation>Workspace</translation>
    </message>
    <message>
        <location line="-232"/>
        <source>The GPU&apos;s own (%1)</source>
        <translation>GPU-Standard (%1)</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Plan a model on disk</source>
        <translation>Ein Modell auf der Festplatte planen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Models (config.json *.json *.gguf);;All files (*)</source>
        <translation>Modelle (config.json *.json *.gguf);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location line="+20"/>
        <location line="+30"/>
        <source>File: %1</source>
        <translation>Datei: %1</translation>
    </message>
    <message>
        <location line="-13"/>
        <location line="+2"/>
        <source>Loaded model: %1</source>
        <translation>Geladenes Modell: %1</translation>
    </message>
    <message>
        <location line="+151"/>
        <source>Tensor parallel (TP)</source>
        <translation>Tensor-Parallelität (TP)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Expert parallel (EP)</source>
        <translation>Experten-Parallelität (EP)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pipeline parallel (PP)</source>
        <translation>Pipeline-Parallelität (PP)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Data parallel (DP)</source>
        <translation>Datenparallelität (DP)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>DP attention</source>
        <translation>DP-Attention</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Interconnect bandwidth</source>
        <translation>Interconnect-Bandbreite</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Interconnect latency</source>
        <translation>Interconnect-Latenz</translation>
    </message>
</context>
<context>
    <name>moeui::PlanResultModel</name>
    <message>
        <location filename="../ui/planner/plan_result_model.cpp" line="+63"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Weight format</source>
        <translation>Gewichtsformat</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hardware</source>
        <translation>Hardware</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Layout</source>
        <translation>Layout</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Attention weights / GPU</source>
        <translation>Attention-Gewichte / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Expert weights / GPU</source>
        <translation>Experten-Gewichte / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shared experts + dense FFN / GPU</source>
        <translation>Gemeinsame Experten + dichtes FFN / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Embeddings + LM head / GPU</source>
        <translation>Embeddings + LM-Head / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Router + norms / GPU</source>
        <translation>Router + Normierung / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Weights / GPU</source>
        <translation>Gewichte / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>KV cache / GPU</source>
        <translation>KV-Cache / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Activations / GPU</source>
        <translation>Aktivierungen / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Overhead / GPU</source>
        <translation>Overhead / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Total / GPU</source>
        <translation>Gesamt / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Usable memory / GPU</source>
        <translation>Nutzbarer Speicher / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GPU memory</source>
        <translation>GPU-Speicher</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Fits</source>
        <translation>Passt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Margin / GPU</source>
        <translation>Reserve / GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Max concurrent sequences</source>
        <translation>Max. gleichzeitige Sequenzen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Decode / sequence</source>
        <translation>Decode / Sequenz</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Decode, whole batch</source>
        <translation>Decode, ganzer Batch</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Decode bound by</source>
        <translation>Decode begrenzt durch</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prefill</source>
        <translation>Prefill</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Time to first token</source>
        <translation>Zeit bis zum ersten Token</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>$ / hour</source>
        <translation>$ / Stunde</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>$ / million output tokens</source>
        <translation>$ / Million Ausgabe-Tokens</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>$ / month (730 h)</source>
        <translation>$ / Monat (730 h)</translation>
    </message>
    <message>
        <location line="+67"/>
        <source>invalid</source>
        <translation>ungültig</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>compute</source>
        <translation>Rechenleistung</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>memory bandwidth</source>
        <translation>Speicherbandbreite</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>fits</source>
        <translation>passt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>short by %1</source>
        <translation>es fehlen %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 spare</source>
        <translation>%1 frei</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>%1 short</source>
        <translation>%1 zu wenig</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>%1 (%2 bytes)</source>
        <translation>%1 (%2 Bytes)</translation>
    </message>
</context>
<context>
    <name>moeui::PlannerPage</name>
    <message>
        <location filename="../ui/planner/planner_page.cpp" line="+69"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 (%2): %3</source>
        <translation>%1 (%2): %3</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>The planner&apos;s catalog could not be read: %1</source>
        <translation>Der Katalog des Planers konnte nicht gelesen werden: %1</translation>
    </message>
    <message>
        <location line="+66"/>
        <source>Results</source>
        <translation>Ergebnisse</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The fewest GPUs of the chosen type that fit this model, context and batch, per layout</source>
        <translation>Die wenigsten GPUs des gewählten Typs, in die dieses Modell mit diesem Kontext und Batch passt, pro Layout</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Fewest GPUs</source>
        <translation>Wenigste GPUs</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Layouts over every catalog GPU that fit, cheapest per hour first</source>
        <translation>Passende Layouts über alle GPUs des Katalogs, günstigste pro Stunde zuerst</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cheapest layouts</source>
        <translation>Günstigste Layouts</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Saved scenarios</source>
        <translation>Gespeicherte Szenarien</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Scenario name</source>
        <translation>Szenarioname</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Save scenario</source>
        <translation>Szenario speichern</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Export CSV…</source>
        <translation>CSV exportieren…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export PNG…</source>
        <translation>PNG exportieren…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export PDF…</source>
        <translation>PDF exportieren…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The results table, every column, raw numbers</source>
        <translation>Die Ergebnistabelle, alle Spalten, Rohwerte</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>The memory chart</source>
        <translation>Das Speicherdiagramm</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>Tick scenarios to compare them with the form side by side in the chart and the Results table. Double-click one to open it in the form.</source>
        <translation>Haken Sie Szenarien an, um sie im Diagramm und in der Ergebnistabelle neben dem Formular zu vergleichen. Doppelklicken Sie auf eines, um es im Formular zu öffnen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Open</source>
        <translation>Öffnen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete…</source>
        <translation>Löschen…</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>Current</source>
        <translation>Aktuell</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No plan</source>
        <translation>Kein Plan</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Fits: %1 of %2 usable per GPU, %3 spare, up to %4 sequences</source>
        <translation>Passt: %1 von %2 nutzbar pro GPU, %3 frei, bis zu %4 Sequenzen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Does not fit: needs %1 per GPU, %2 usable — short by %3</source>
        <translation>Passt nicht: benötigt %1 pro GPU, %2 nutzbar — es fehlen %3</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>the saved inputs are not valid JSON</source>
        <translation>die gespeicherten Eingaben sind kein gültiges JSON</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Scenario</source>
        <translation>Szenario</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1, %2, %3× %4, context %5, batch %6</source>
        <translation>%1, %2, %3× %4, Kontext %5, Batch %6</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Not saved: %1</source>
        <translation>Nicht gespeichert: %1</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Could not save the scenario: %1</source>
        <translation>Das Szenario konnte nicht gespeichert werden: %1</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Could not list saved scenarios: %1</source>
        <translation>Gespeicherte Szenarien konnten nicht aufgelistet werden: %1</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Saved scenario %1 no longer exists</source>
        <translation>Das gespeicherte Szenario %1 existiert nicht mehr</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Saved scenario “%1” holds no valid inputs</source>
        <translation>Das gespeicherte Szenario „%1“ enthält keine gültigen Eingaben</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Could not open the scenario: %1</source>
        <translation>Das Szenario konnte nicht geöffnet werden: %1</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Could not delete the scenario: %1</source>
        <translation>Das Szenario konnte nicht gelöscht werden: %1</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Delete scenarios</source>
        <translation>Szenarien löschen</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>Delete %n saved scenario(s)?

%1</source>
        <translation>
            <numerusform>%n gespeichertes Szenario löschen?

%1</numerusform>
            <numerusform>%n gespeicherte Szenarien löschen?

%1</numerusform>
        </translation>
    </message>
    <message>
        <location line="+31"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PNG images (*.png)</source>
        <translation>PNG-Bilder (*.png)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PDF documents (*.pdf)</source>
        <translation>PDF-Dokumente (*.pdf)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export</source>
        <translation>Exportieren</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Could not write %1</source>
        <translation>%1 konnte nicht geschrieben werden</translation>
    </message>
</context>
<context>
    <name>moeui::ProfileRunListModel</name>
    <message>
        <location filename="../ui/runs/profile_run_list_model.cpp" line="+74"/>
        <source>%1 × %2, top-%3</source>
        <translation>%1 × %2, Top-%3</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>random</source>
        <translation>zufällig</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 MoE layers, %2 experts each, %3 chosen per token</source>
        <translation>%1 MoE-Schichten, je %2 Experten, %3 pro Token gewählt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 steps, %2 traced tokens</source>
        <translation>%1 Schritte, %2 aufgezeichnete Tokens</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Made with random weights: its routing says nothing about a trained model</source>
        <translation>Mit Zufallsgewichten erstellt: Sein Routing sagt nichts über ein trainiertes Modell aus</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Run</source>
        <translation>Lauf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Architecture</source>
        <translation>Architektur</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Layers × experts</source>
        <translation>Schichten × Experten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recorded</source>
        <translation>Aufgezeichnet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prompts</source>
        <translation>Prompts</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tokens</source>
        <translation>Tokens</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stored</source>
        <translation>Größe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Weights</source>
        <translation>Gewichte</translation>
    </message>
</context>
<context>
    <name>moeui::RunComparisonModel</name>
    <message>
        <location filename="../ui/runs/run_comparison_model.cpp" line="+86"/>
        <source>%1 (layer %2)</source>
        <translation>%1 (Schicht %2)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>#%1 (%2)</source>
        <translation>#%1 (%2)</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Load of the busiest expert over the mean load (1 = perfectly even)</source>
        <translation>Last des meistgenutzten Experten geteilt durch die mittlere Last (1 = völlig gleichmäßig)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Entropy of the expert loads over log(experts) (1 = perfectly even)</source>
        <translation>Entropie der Expertenlasten geteilt durch log(Experten) (1 = völlig gleichmäßig)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The busiest expert and the tokens it was chosen for</source>
        <translation>Der meistgenutzte Experte und die Tokens, für die er gewählt wurde</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>MoE layer</source>
        <translation>MoE-Schicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A max/mean</source>
        <translation>A Max./Mittel</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>B max/mean</source>
        <translation>B Max./Mittel</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Δ max/mean</source>
        <translation>Δ Max./Mittel</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A entropy</source>
        <translation>A Entropie</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>B entropy</source>
        <translation>B Entropie</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Δ entropy</source>
        <translation>Δ Entropie</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A hottest</source>
        <translation>A meistgenutzt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>B hottest</source>
        <translation>B meistgenutzt</translation>
    </message>
</context>
<context>
    <name>moeui::RunComparisonView</name>
    <message>
        <location filename="../ui/runs/run_comparison_view.cpp" line="+39"/>
        <source>Tokens: B − A</source>
        <translation>Tokens: B − A</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Share of the layer: B − A (percentage points)</source>
        <translation>Anteil an der Schicht: B − A (Prozentpunkte)</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Imbalance per layer</source>
        <translation>Ungleichgewicht pro Schicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Expert count difference</source>
        <translation>Differenz der Expertenzählungen</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Select two runs and press Compare to see how their routing differs.</source>
        <translation>Wählen Sie zwei Läufe aus und klicken Sie auf „Vergleichen“, um zu sehen, wie sich ihr Routing unterscheidet.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>A: “%1” (%2, %3 tokens)   vs   B: “%4” (%5, %6 tokens)</source>
        <translation>A: „%1“ (%2, %3 Tokens)   vs.   B: „%4“ (%5, %6 Tokens)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The runs have different shapes (%1 × %2 vs %3 × %4 layers × experts): only the per-layer figures compare.</source>
        <translation>Die Läufe haben unterschiedliche Formen (%1 × %2 vs. %3 × %4 Schichten × Experten): Nur die Werte pro Schicht sind vergleichbar.</translation>
    </message>
</context>
<context>
    <name>moeui::RunsPage</name>
    <message>
        <location filename="../ui/runs/runs_page.cpp" line="+97"/>
        <source>Profiling runs</source>
        <translation>Profiling-Läufe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Planner scenarios</source>
        <translation>Planer-Szenarien</translation>
    </message>
    <message>
        <location line="+16"/>
        <location line="+466"/>
        <source>prompt %1 of %2</source>
        <translation>Prompt %1 von %2</translation>
    </message>
    <message>
        <location line="-452"/>
        <source>The profiling run failed: %1</source>
        <translation>Der Profiling-Lauf ist fehlgeschlagen: %1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The store could not be opened: %1</source>
        <translation>Der Datenspeicher konnte nicht geöffnet werden: %1</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>New profiling run</source>
        <translation>Neuer Profiling-Lauf</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>max </source>
        <translation>max. </translation>
    </message>
    <message>
        <location line="+1"/>
        <source> tokens per prompt</source>
        <translation> Tokens pro Prompt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stops after the current step; the run so far is kept</source>
        <translation>Stoppt nach dem aktuellen Schritt; der bisherige Lauf bleibt erhalten</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Import JSON…</source>
        <translation>JSON importieren…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A run exported by the workbench or by &apos;moe profile export --json&apos;</source>
        <translation>Ein von der Workbench oder mit &apos;moe profile export --json&apos; exportierter Lauf</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Open in Experts</source>
        <translation>In „Experten“ öffnen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Compare</source>
        <translation>Vergleichen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Select two runs</source>
        <translation>Zwei Läufe auswählen</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+60"/>
        <source>Delete…</source>
        <translation>Löschen…</translation>
    </message>
    <message>
        <location line="-59"/>
        <source>Export JSON…</source>
        <translation>JSON exportieren…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export CSV…</source>
        <translation>CSV exportieren…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Everything in the run; &apos;moe profile import&apos; and Import JSON read it back</source>
        <translation>Der gesamte Lauf; &apos;moe profile import&apos; und „JSON importieren“ lesen ihn wieder ein</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The routing counts per step, layer and expert, for spreadsheets and pandas</source>
        <translation>Die Routing-Zählungen pro Schritt, Schicht und Experte, für Tabellenkalkulationen und pandas</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>No planner scenarios saved yet.

In the Planner page, describe a deployment and press “Save scenario”; it is listed here and can be compared side by side there.</source>
        <translation>Noch keine Planer-Szenarien gespeichert.

Beschreiben Sie auf der Seite „Planer“ ein Deployment und klicken Sie auf „Szenario speichern“; es wird hier aufgelistet und kann dort nebeneinander mit anderen verglichen werden.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Open in Planner</source>
        <translation>Im Planer öffnen</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Delete scenarios</source>
        <translation>Szenarien löschen</translation>
    </message>
    <message numerus="yes">
        <location line="+0"/>
        <source>Delete %n saved scenario(s)?</source>
        <translation>
            <numerusform>%n gespeichertes Szenario löschen?</numerusform>
            <numerusform>%n gespeicherte Szenarien löschen?</numerusform>
        </translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Could not read the store: %1</source>
        <translation>Der Datenspeicher konnte nicht gelesen werden: %1</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>No profiling runs saved yet.

Load a model and press “New profiling run” to record which experts the built-in prompts (code, maths, languages, chit-chat) are routed to, or record one on the command line:

    moe profile -m MODEL.gguf --builtin --out %1

Runs shared as JSON come in with “Import JSON…” or &apos;moe profile import RUN.json --out %1&apos;.</source>
        <translation>Noch keine Profiling-Läufe gespeichert.

Laden Sie ein Modell und klicken Sie auf „Neuer Profiling-Lauf“, um aufzuzeichnen, an welche Experten die eingebauten Prompts (Code, Mathematik, Sprachen, Smalltalk) geleitet werden, oder zeichnen Sie einen Lauf auf der Kommandozeile auf:

    moe profile -m MODEL.gguf --builtin --out %1

Als JSON weitergegebene Läufe lassen sich mit „JSON importieren…“ oder &apos;moe profile import RUN.json --out %1&apos; übernehmen.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>STORE.db</source>
        <translation>STORE.db</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>No store is open to save the run in</source>
        <translation>Es ist kein Datenspeicher geöffnet, in dem der Lauf gespeichert werden könnte</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Load a model first (Model ▸ Load model…); the run uses the loaded model</source>
        <translation>Laden Sie zuerst ein Modell (Modell ▸ Modell laden…); der Lauf verwendet das geladene Modell</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A profiling run is in progress</source>
        <translation>Ein Profiling-Lauf ist im Gange</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Run the built-in prompts on %1 and save which experts each token used</source>
        <translation>Die eingebauten Prompts auf %1 ausführen und speichern, welche Experten jedes Token verwendet hat</translation>
    </message>
    <message>
        <location line="+70"/>
        <source>Profiling run %1 no longer exists</source>
        <translation>Der Profiling-Lauf %1 existiert nicht mehr</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Opened “%1” in the Experts page</source>
        <translation>„%1“ auf der Seite „Experten“ geöffnet</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Could not open the run: %1</source>
        <translation>Der Lauf konnte nicht geöffnet werden: %1</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Could not compare the runs: %1</source>
        <translation>Die Läufe konnten nicht verglichen werden: %1</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Could not delete the run: %1</source>
        <translation>Der Lauf konnte nicht gelöscht werden: %1</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Delete profiling runs</source>
        <translation>Profiling-Läufe löschen</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>Delete %n profiling run(s)? This cannot be undone.

%1</source>
        <translation>
            <numerusform>%n Profiling-Lauf löschen? Dies kann nicht rückgängig gemacht werden.

%1</numerusform>
            <numerusform>%n Profiling-Läufe löschen? Dies kann nicht rückgängig gemacht werden.

%1</numerusform>
        </translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Could not delete the scenario: %1</source>
        <translation>Das Szenario konnte nicht gelöscht werden: %1</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Exported “%1” to %2</source>
        <translation>„%1“ nach %2 exportiert</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Could not export the run: %1</source>
        <translation>Der Lauf konnte nicht exportiert werden: %1</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Export run as JSON</source>
        <translation>Lauf als JSON exportieren</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Export run as CSV</source>
        <translation>Lauf als CSV exportieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>JSON files (*.json)</source>
        <translation>JSON-Dateien (*.json)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Imported “%1” from %2</source>
        <translation>„%1“ aus %2 importiert</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Could not import the run: %1</source>
        <translation>Der Lauf konnte nicht importiert werden: %1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Import a profiling run</source>
        <translation>Profiling-Lauf importieren</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>JSON files (*.json);;All files (*)</source>
        <translation>JSON-Dateien (*.json);;Alle Dateien (*)</translation>
    </message>
    <message numerus="yes">
        <location line="+19"/>
        <source>Profiling %1 on %n prompt(s)…</source>
        <translation>
            <numerusform>Profiling von %1 mit %n Prompt…</numerusform>
            <numerusform>Profiling von %1 mit %n Prompts…</numerusform>
        </translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Cancelling after the current step; the run so far will be kept…</source>
        <translation>Abbruch nach dem aktuellen Schritt; der bisherige Lauf bleibt erhalten…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Cancelled before the first step; nothing to save</source>
        <translation>Vor dem ersten Schritt abgebrochen; nichts zu speichern</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The run recorded no steps; nothing to save</source>
        <translation>Der Lauf hat keine Schritte aufgezeichnet; nichts zu speichern</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Cancelled: saved the run so far as “%1” (%2 tokens)</source>
        <translation>Abgebrochen: Der bisherige Lauf wurde als „%1“ gespeichert (%2 Tokens)</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>Saved “%1”: %n prompt(s), %2 tokens</source>
        <translation>
            <numerusform>„%1“ gespeichert: %n Prompt, %2 Tokens</numerusform>
            <numerusform>„%1“ gespeichert: %n Prompts, %2 Tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+7"/>
        <source>(%n prompt(s) longer than the context skipped)</source>
        <translation>
            <numerusform>(%n Prompt länger als der Kontext übersprungen)</numerusform>
            <numerusform>(%n Prompts länger als der Kontext übersprungen)</numerusform>
        </translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Could not save the profiling run: %1</source>
        <translation>Der Profiling-Lauf konnte nicht gespeichert werden: %1</translation>
    </message>
</context>
<context>
    <name>moeui::ScenarioListModel</name>
    <message>
        <location filename="../ui/planner/scenario_list_model.cpp" line="+144"/>
        <source>fits (%1 spare)</source>
        <translation>passt (%1 frei)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>short by %1</source>
        <translation>es fehlen %1</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Scenario</source>
        <translation>Szenario</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hardware</source>
        <translation>Hardware</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Memory</source>
        <translation>Speicher</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>$ / M tokens</source>
        <translation>$ / Mio. Tokens</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Saved</source>
        <translation>Gespeichert</translation>
    </message>
</context>
<context>
    <name>moeui::TokenExpertsModel</name>
    <message>
        <location filename="../ui/experts/token_routing_model.cpp" line="+101"/>
        <source>expert %1 · %2</source>
        <translation>Experte %1 · %2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>slot %1: expert %2, gate weight %3</source>
        <translation>Slot %1: Experte %2, Gate-Gewicht %3</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>#%1</source>
        <translation>#%1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>layer %1</source>
        <translation>Schicht %1</translation>
    </message>
</context>
<context>
    <name>moeui::TokenRoutingModel</name>
    <message>
        <location line="-84"/>
        <source>position %1, token id %2 (answer)</source>
        <translation>Position %1, Token-ID %2 (Antwort)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>position %1, token id %2 (prompt)</source>
        <translation>Position %1, Token-ID %2 (Prompt)</translation>
    </message>
</context>
<context>
    <name>moeui::TrafficHeatmapView</name>
    <message>
        <location filename="../ui/interconnect/traffic_heatmap_view.cpp" line="+22"/>
        <source>Receiving device</source>
        <translation>Empfangendes Gerät</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Sending device</source>
        <translation>Sendendes Gerät</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>bytes sent, %1</source>
        <translation>gesendete Bytes, %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GB/s (estimated)</source>
        <translation>GB/s (geschätzt)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>GB/s</source>
        <translation>GB/s</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>dev %1</source>
        <translation>Gerät %1</translation>
    </message>
</context>
<context>
    <name>moeui::TrafficHistoryModel</name>
    <message>
        <location filename="../ui/interconnect/traffic_history_model.cpp" line="+43"/>
        <source>%1 (estimated)</source>
        <translation>%1 (geschätzt)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Step</source>
        <translation>Schritt</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>All-reduce</source>
        <translation>All-Reduce</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dispatch</source>
        <translation>Dispatch</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Combine</source>
        <translation>Combine</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>All-gather</source>
        <translation>All-Gather</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Broadcast</source>
        <translation>Broadcast</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Total</source>
        <translation>Gesamt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Time in collectives</source>
        <translation>Zeit in kollektiven Operationen</translation>
    </message>
</context>
<context>
    <name>moeui::TrafficMatrixModel</name>
    <message>
        <location filename="../ui/interconnect/traffic_matrix_model.cpp" line="+77"/>
        <source>the last step</source>
        <translation>dem letzten Schritt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>1 step</source>
        <translation>1 Schritt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 steps</source>
        <translation>%1 Schritten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 GB/s</source>
        <translation>%1 GB/s</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1, estimated on the %2 link model</source>
        <translation>%1, geschätzt anhand des Link-Modells %2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>device %1 → device %2: %3 over %4
%5</source>
        <translation>Gerät %1 → Gerät %2: %3 in %4
%5</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>device %1</source>
        <translation>Gerät %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>sent by device %1</source>
        <translation>gesendet von Gerät %1</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>received by device %1</source>
        <translation>empfangen von Gerät %1</translation>
    </message>
</context>
<context>
    <name>moeui::TrafficTimelineChart</name>
    <message>
        <location filename="../ui/interconnect/traffic_timeline_chart.cpp" line="+13"/>
        <source>Step</source>
        <translation>Schritt</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>%1 per step</source>
        <translation>%1 pro Schritt</translation>
    </message>
</context>
</TS>
