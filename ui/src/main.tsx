import { render } from "preact";
import "uplot/dist/uPlot.min.css";
import "./style.css";
render(<p>hello</p>, document.getElementById("app")!);
